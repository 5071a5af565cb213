package natsjobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BlobName is the object name of file name of job id.
func BlobName(id, name string) string { return id + "/" + name }

// PutBlob stores r as the object name, replacing any object of that name.
func (c *Cluster) PutBlob(ctx context.Context, name string, r io.Reader) error {
	if _, err := c.obj.Put(ctx, jetstream.ObjectMeta{Name: name}, r); err != nil {
		return fmt.Errorf("natsjobs: put %s: %w", name, err)
	}
	return nil
}

// Blob is an object being read. Close it.
type Blob struct {
	io.ReadCloser
	Size    int64
	ModTime time.Time
	// Digest is the object store's digest of the content ("SHA-256=…").
	Digest string
}

// OpenBlob opens the object name, or returns ErrNotFound.
func (c *Cluster) OpenBlob(ctx context.Context, name string) (*Blob, error) {
	res, err := c.obj.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return nil, fmt.Errorf("%w: blob %s", ErrNotFound, name)
	}
	if err != nil {
		return nil, fmt.Errorf("natsjobs: get %s: %w", name, err)
	}
	info, err := res.Info()
	if err != nil {
		res.Close()
		return nil, fmt.Errorf("natsjobs: get %s: %w", name, err)
	}
	return &Blob{ReadCloser: res, Size: int64(info.Size), ModTime: info.ModTime, Digest: info.Digest}, nil
}

// BlobNames lists the file names of job id's blobs, in no particular order.
func (c *Cluster) BlobNames(ctx context.Context, id string) ([]string, error) {
	objs, err := c.obj.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("natsjobs: list blobs: %w", err)
	}
	var names []string
	for _, o := range objs {
		if name, ok := strings.CutPrefix(o.Name, id+"/"); ok {
			names = append(names, name)
		}
	}
	return names, nil
}
