// Package apidocs embeds the OpenAPI document of the CaMau-G API so the
// service can serve it and tests can check responses against it.
package apidocs

import _ "embed"

// OpenAPI is mobile-api-docs/openapi.yaml (OpenAPI 3.1).
//
//go:embed openapi.yaml
var OpenAPI []byte
