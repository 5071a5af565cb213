package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/orfeas3d/orfeas/examples/server/internal/service"
)

// Run the service behind any http.Server (here a test server) and shut it down at the end.
func ExampleNew() {
	data, err := os.MkdirTemp("", "orfeas-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(data)

	svc, err := service.New(service.Config{DataDir: data, Backend: "cpu"})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	defer srv.Close()
	defer svc.Shutdown(context.Background())

	resp, err := http.Get(srv.URL + "/api/health")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var h struct {
		Status  string `json:"status"`
		Backend string `json:"backend"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		log.Fatal(err)
	}
	fmt.Println(resp.StatusCode, h.Status, h.Backend)
	// Output: 200 healthy cpu
}
