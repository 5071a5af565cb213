package service

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

// TestNoSubjectErrorCode uploads a blank image (one flat colour) and checks that its failed
// generation says why in words and, for clients that branch on it, error_code "no_subject", in
// a job status the OpenAPI document accepts.
func TestNoSubjectErrorCode(t *testing.T) {
	forModes(t, func(t *testing.T, start startFunc) {
		_, ts := start(t, nil)
		c := newSpecChecker(t, ts.URL)
		img := image.NewNRGBA(image.Rect(0, 0, 64, 48))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		id := uploadImage(t, ts.URL, buf.Bytes())
		if resp, out := c.do("POST", "/api/generate-3d", "application/json", []byte(`{"job_id":"`+id+`","format":"stl","quality":"draft"}`)); resp.StatusCode != 202 {
			t.Fatalf("generate: %d %s", resp.StatusCode, out)
		}
		st := waitState(t, ts.URL, id)
		c.do("GET", "/api/job-status/"+id, "", nil) // validated against the document
		msg, _ := st["error"].(string)
		if st["status"] != stateFailed || st["error_code"] != "no_subject" || msg == "" {
			t.Fatalf("status %v, error %q, error_code %v; want failed, a reason, no_subject", st["status"], msg, st["error_code"])
		}
	})
}
