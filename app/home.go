package app

import "github.com/gofiber/fiber/v2"

// home shows who is signed in and their organizations.
// GET /
func (s *Server) home(c *fiber.Ctx) error {
	return s.render(c, "home", fiber.Map{"Title": "Home"})
}
