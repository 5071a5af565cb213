package service

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/orfeas3d/orfeas/mesh"
)

// solidifyUpload is /api/stl/repair with solidify=true: mesh.MakePrintable, which repairs and,
// where repair cannot close the mesh, rebuilds it as a solid (resolution: voxels along the
// longest side, default mesh.DefaultSolidifyResolution; target_faces: the face budget, default
// none). The report is mesh.PrintableReport, with the Hausdorff distance to the upload.
func solidifyUpload(ctx context.Context, u *meshUpload) (*mesh.Mesh, any, error) {
	var opt mesh.PrintableOptions
	if v := strings.TrimSpace(u.fields["solidify"]); v != "true" && v != "auto" {
		if v != "always" {
			return nil, nil, errorf(http.StatusBadRequest, "solidify %q: want true (when repair cannot close the mesh), always, or false", v)
		}
		opt.AlwaysSolidify = true
	}
	if v := strings.TrimSpace(u.fields["resolution"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 8 || n > mesh.MaxSolidifyResolution {
			return nil, nil, errorf(http.StatusBadRequest, "resolution %q: want voxels along the longest side, 8 to %d", v, mesh.MaxSolidifyResolution)
		}
		opt.Solidify.Resolution = n
	}
	if v := strings.TrimSpace(u.fields["target_faces"]); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 4 {
			return nil, nil, errorf(http.StatusBadRequest, "target_faces %q: want an integer of at least 4", v)
		}
		opt.Solidify.FaceBudget = n
	}
	out, rep, err := mesh.MakePrintable(ctx, u.mesh, opt)
	if err != nil {
		return nil, nil, err
	}
	return out, rep, nil
}
