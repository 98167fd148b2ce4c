package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// Error is an error a person or an API client may read: an HTTP status, a code for programs,
// a message that says what to fix and, for bad input, the field at fault.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (e *Error) Error() string { return e.Message }

// badInput reports a field whose value cannot be taken, and why.
func badInput(field, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "INVALID_INPUT", Field: field, Message: fmt.Sprintf(format, args...)}
}

var (
	errNotFound     = &Error{Status: http.StatusNotFound, Code: "NOT_FOUND", Message: "This page does not exist, or you cannot see it."}
	errForbidden    = &Error{Status: http.StatusForbidden, Code: "FORBIDDEN", Message: "Your role does not allow this."}
	errUnauthorized = &Error{Status: http.StatusUnauthorized, Code: "UNAUTHORIZED", Message: "Sign in, or send a valid API token as Authorization: Bearer kwp_…"}
	errBadCSRF      = &Error{Status: http.StatusForbidden, Code: "BAD_CSRF", Message: "This form has expired. Go back, reload the page and try again."}
)

// statusCodes names the codes of the statuses that fiber itself may answer.
var statusCodes = map[int]string{
	http.StatusBadRequest:            "INVALID_INPUT",
	http.StatusUnauthorized:          "UNAUTHORIZED",
	http.StatusForbidden:             "FORBIDDEN",
	http.StatusNotFound:              "NOT_FOUND",
	http.StatusMethodNotAllowed:      "METHOD_NOT_ALLOWED",
	http.StatusConflict:              "CONFLICT",
	http.StatusRequestEntityTooLarge: "TOO_LARGE",
	http.StatusUnsupportedMediaType:  "UNSUPPORTED_MEDIA_TYPE",
	http.StatusTooManyRequests:       "RATE_LIMITED",
	http.StatusServiceUnavailable:    "UNAVAILABLE",
}

// asError turns any error into the Error a client sees; unexpected errors become a bare
// "Internal error." and are logged, so no stack, SQL or Go error string ever leaves the server.
func (s *Server) asError(c *fiber.Ctx, err error) *Error {
	var e *Error
	var fe *fiber.Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "CONFLICT", Message: "This already exists."}
	case errors.As(err, &fe) && fe.Code < 500:
		code := statusCodes[fe.Code]
		if code == "" {
			code = strings.ToUpper(strings.ReplaceAll(http.StatusText(fe.Code), " ", "_"))
		}
		msg := fe.Message
		if fe.Code == http.StatusNotFound {
			msg = errNotFound.Message
		}
		return &Error{Status: fe.Code, Code: code, Message: msg}
	}
	s.log.Error("internal error", "method", c.Method(), "path", c.Path(), "request_id", requestID(c), "error", err)
	return &Error{Status: http.StatusInternalServerError, Code: "INTERNAL", Message: "Internal error."}
}

// handleError is fiber's single error handler: JSON under /api/, an HTML page for people.
func (s *Server) handleError(c *fiber.Ctx, err error) error {
	e := s.asError(c, err)
	c.Locals(answerCode, e.Code)
	if isAPI(c) {
		return c.Status(e.Status).JSON(fiber.Map{"error": e})
	}
	c.Status(e.Status)
	if rerr := s.render(c, "error", fiber.Map{"Title": http.StatusText(e.Status), "Error": e}); rerr != nil {
		s.log.Error("unable to render error page", "error", rerr)
		return c.Status(e.Status).SendString(e.Message)
	}
	return nil
}

func isAPI(c *fiber.Ctx) bool { return strings.HasPrefix(c.Path(), "/api/") }
