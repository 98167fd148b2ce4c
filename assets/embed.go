// Package assets holds the portal's stylesheets, scripts and images, embedded in the binary.
// vendor/ is filled from npm by `make assets`.
package assets

import "embed"

// FS holds every asset by its path ("css/app.css", "vendor/chart.umd.min.js").
//
//go:embed css js img vendor
var FS embed.FS
