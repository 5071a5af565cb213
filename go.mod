module github.com/orfeas3d/orfeas

go 1.26.0

require (
	github.com/google/go-cmp v0.7.0
	github.com/hashicorp/go-multierror v1.1.1
	github.com/hschendel/stl v1.0.4
	github.com/qmuntal/gltf v0.29.0
	golang.org/x/image v0.48.0
	golang.org/x/sync v0.25.0
)

require github.com/hashicorp/errwrap v1.0.0 // indirect
