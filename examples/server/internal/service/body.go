package service

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// maxFieldBytes bounds a non-file form field; maxParts the parts of one form.
const (
	maxFieldBytes = 4 << 10
	maxParts      = 1000
)

// formFile is a file part, read into memory up to Config.MaxUploadBytes.
type formFile struct {
	field, filename string
	data            []byte
	tooLarge        bool // more than MaxUploadBytes: data is empty
}

// readForm streams a multipart/form-data body of at most bodyLimit bytes. Each file part is
// read (up to MaxUploadBytes) and handed to onFile before the next part is read, so only one
// file is in memory at a time; other fields are returned.
func (s *Service) readForm(w http.ResponseWriter, r *http.Request, bodyLimit int64, onFile func(formFile) error) (map[string]string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, bodyLimit)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "expected a multipart/form-data body: %v", err)
	}
	fields := map[string]string{}
	for n := 0; ; n++ {
		if n == maxParts {
			return nil, errorf(http.StatusBadRequest, "more than %d form parts", maxParts)
		}
		p, err := mr.NextPart()
		if err == io.EOF {
			return fields, nil
		}
		if err != nil {
			return nil, bodyError(err, "malformed multipart body")
		}
		if p.FileName() == "" {
			v, err := io.ReadAll(io.LimitReader(p, maxFieldBytes+1))
			if err != nil {
				return nil, bodyError(err, "malformed multipart body")
			}
			if len(v) > maxFieldBytes {
				return nil, errorf(http.StatusBadRequest, "form field %q longer than %d bytes", p.FormName(), maxFieldBytes)
			}
			fields[p.FormName()] = string(v)
			continue
		}
		f := formFile{field: p.FormName(), filename: cleanFilename(p.FileName())}
		data, err := io.ReadAll(io.LimitReader(p, s.cfg.MaxUploadBytes+1))
		if err != nil {
			return nil, bodyError(err, "malformed multipart body")
		}
		if int64(len(data)) > s.cfg.MaxUploadBytes {
			f.tooLarge = true
			if _, err := io.Copy(io.Discard, p); err != nil {
				return nil, bodyError(err, "malformed multipart body")
			}
		} else {
			f.data = data
		}
		if err := onFile(f); err != nil {
			return nil, err
		}
	}
}

// bodyError maps a body read error: over the limit is 413, anything else 400.
func bodyError(err error, msg string) *httpError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errorf(http.StatusRequestEntityTooLarge, "request body larger than %d bytes", mbe.Limit)
	}
	return errorf(http.StatusBadRequest, "%s: %v", msg, err)
}

// cleanFilename keeps the base name of a client's file name, for display only, without control
// characters and at most 255 bytes. It never becomes part of a path.
func cleanFilename(name string) string {
	name = name[strings.LastIndexAny(name, `/\`)+1:]
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if len(name) > 255 {
		name = name[:255]
	}
	return name
}

// decodeJSON reads a JSON body of at most MaxJSONBytes into v, with 400 for malformed JSON or
// wrong types and 413 for an oversized body.
func (s *Service) decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxJSONBytes)
	dec := json.NewDecoder(body)
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &mbe):
			return errorf(http.StatusRequestEntityTooLarge, "JSON body larger than %d bytes", mbe.Limit)
		case errors.As(err, &te):
			return errorf(http.StatusBadRequest, "field %q: want a JSON %s, got %s", te.Field, te.Type, te.Value)
		case errors.Is(err, io.EOF):
			return errorf(http.StatusBadRequest, "empty body: a JSON object is required")
		}
		return errorf(http.StatusBadRequest, "malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return errorf(http.StatusRequestEntityTooLarge, "JSON body larger than %d bytes", mbe.Limit)
		}
		return errorf(http.StatusBadRequest, "malformed JSON: data after the object")
	}
	return nil
}
