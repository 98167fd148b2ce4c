package app

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/app/signing"
)

// nonceKey is the Locals key of a device request's nonce.
const nonceKey = "device-nonce"

// signedPath tells the routes whose every answer is signed (DESIGN §9): the device API.
func signedPath(path string) bool {
	return isDeviceAPI(path) || path == "/api/v1/usage"
}

// deviceAnswers signs every answer of the device API, errors included, over the exact bytes
// sent, and echoes the request's nonce in it. It renders errors itself (as the access log would)
// so that they are signed too.
func (s *Server) deviceAnswers(c *fiber.Ctx) error {
	if !signedPath(c.Path()) || s.signer == nil { // nil only in the benchmark that measures answers unsigned
		return c.Next()
	}
	nonce, err := requestNonce(c)
	if err == nil {
		err = c.Next()
	}
	if err != nil {
		if herr := s.handleError(c, err); herr != nil {
			return herr
		}
	}
	if nonce == "" { // a gzipped usage report's, read by its handler
		nonce, _ = c.Locals(nonceKey).(string)
	}
	resp := c.Response()
	if resp.StatusCode() == http.StatusNoContent {
		resp.ResetBody() // fiber's SendStatus writes "No Content", which a 204 never sends
	}
	if nonce != "" {
		echoNonce(c, nonce)
	}
	c.Set(signing.Header, s.signer.Answer(s.clock.Now().Unix(), resp.Body()))
	return nil
}

// requestNonce reads the optional "nonce" of a device request body (1–64 printable characters).
// A gzipped usage report is not unpacked here: the usage handler bounds that.
func requestNonce(c *fiber.Ctx) (string, error) {
	body := c.Request().Body()
	if len(c.Request().Header.ContentEncoding()) > 0 || !bytes.Contains(body, []byte(`"nonce"`)) {
		return "", nil
	}
	var r struct {
		Nonce *json.RawMessage `json:"nonce"`
	}
	if json.Unmarshal(body, &r) != nil || r.Nonce == nil {
		return "", nil // the handler says what is wrong with the body
	}
	var nonce string
	if json.Unmarshal(*r.Nonce, &nonce) != nil || !printable(nonce, maxNonce) {
		return "", badInput("nonce", "A nonce is 1 to %d printable characters.", maxNonce)
	}
	return nonce, nil
}

// maxNonce is the longest nonce a device may send (DESIGN §9).
const maxNonce = 64

// echoNonce puts the nonce into a JSON object answer; a 204 becomes 200 {"nonce"}.
func echoNonce(c *fiber.Ctx, nonce string) {
	resp := c.Response()
	q, _ := json.Marshal(nonce)
	if resp.StatusCode() == http.StatusNoContent {
		c.Status(http.StatusOK)
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		resp.SetBodyRaw(append(append([]byte(`{"nonce":`), q...), '}'))
		return
	}
	body := resp.Body()
	if len(body) < 2 || body[0] != '{' || !strings.HasPrefix(string(resp.Header.ContentType()), fiber.MIMEApplicationJSON) {
		return
	}
	out := make([]byte, 0, len(body)+len(q)+12)
	out = append(out, `{"nonce":`...)
	out = append(out, q...)
	if rest := bytes.TrimSpace(body[1:]); len(rest) > 0 && rest[0] != '}' {
		out = append(out, ',')
	}
	out = append(out, body[1:]...)
	resp.SetBodyRaw(out)
}

// publicKey gives the key that checks the device API's signatures and license files.
// GET /api/v1/public-key
func (s *Server) publicKey(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"algorithm": signing.Algorithm, "public_key": s.signer.PublicKey()})
}
