// Package apidocs embeds the OpenAPI document of the CaMau-G API so the
// service can serve it and tests can check responses against it, with the
// /docs page that renders it and the mobile developer's guide.
package apidocs

import (
	"embed"
	"io/fs"
)

// OpenAPI is mobile-api-docs/openapi.yaml (OpenAPI 3.1).
//
//go:embed openapi.yaml
var OpenAPI []byte

// Guide is mobile-api-docs/guide.md, the mobile developer's guide.
//
//go:embed guide.md
var Guide []byte

//go:embed viewer
var viewer embed.FS

// Viewer holds the /docs page (index.html) and its assets: Swagger UI,
// vendored at a pinned version (viewer/README.md).
var Viewer, _ = fs.Sub(viewer, "viewer")
