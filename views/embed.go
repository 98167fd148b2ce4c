// Package views holds the HTML templates of the portal and its emails, embedded in the binary.
package views

import "embed"

// FS holds every template, named by its path without the .html extension ("layouts/main", "login").
//
//go:embed *.html layouts/*.html mail/*.html mail/*.txt
var FS embed.FS
