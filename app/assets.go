package app

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// assetFiles serves the embedded assets under URLs that carry a hash of their content,
// so browsers may keep them for a year and a new build is fetched at once.
type assetFiles struct {
	urls  map[string]string // file name → URL
	files map[string]asset  // URL → content
}

type asset struct {
	body        []byte
	contentType string
}

func loadAssets(fsys fs.FS) (*assetFiles, error) {
	a := &assetFiles{urls: make(map[string]string), files: make(map[string]asset)}
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(name, ".go") {
			return err
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(name)
		url := "/assets/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		a.urls[name] = url
		a.files[url] = asset{body: body, contentType: mime.TypeByExtension(ext)}
		return nil
	})
	return a, err
}

// url is the hashed URL of an asset; a name that does not exist fails the page that asks for it.
func (a *assetFiles) url(name string) (string, error) {
	u, ok := a.urls[name]
	if !ok {
		return "", fmt.Errorf("no asset %q (run make assets for vendor/ files)", name)
	}
	return u, nil
}

// asset serves an embedded file under its hashed URL.
// GET /assets/*
func (s *Server) asset(c *fiber.Ctx) error {
	f, ok := s.assets.files[c.Path()]
	if !ok {
		return errNotFound
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	c.Set(fiber.HeaderContentType, f.contentType)
	return c.Send(f.body)
}
