package app

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"keyward/store"
)

// activationPDF is the activation document of a license: what a distributor hands to the client,
// key included. Downloading it reveals the key, so it is audited.
// GET /licenses/:id/activation.pdf
func (s *Server) activationPDF(c *fiber.Ctx) error {
	l := guardedLicense(c)
	key, err := s.revealKey(l)
	if err != nil {
		return err
	}
	org, err := s.db.FindOrg(c.UserContext(), licenseOrgID(l))
	if err != nil {
		return err
	}
	doc, err := activationDocument(l, org, key)
	if err != nil {
		return err
	}
	if err := s.auditReveal(c.UserContext(), c, l, "activation PDF"); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="license-%d-activation.pdf"`, l.ID))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(doc)
}

// activationDocument lays out the activation PDF on one A4 page.
func activationDocument(l store.License, org store.Org, key string) ([]byte, error) {
	pdf, err := newPDF(fmt.Sprintf("License %d activation", l.ID))
	if err != nil {
		return nil, err
	}
	const left, width = 56.0, 483.0
	y := 60.0
	// write sets s from x on, wrapped at words to width, one line per paragraph at least; y moves down.
	write := func(s string, x, w, lineHeight float64) error {
		for _, para := range strings.Split(s, "\n") {
			lines, err := pdf.SplitTextWithWordWrap(para, w)
			if err != nil || len(lines) == 0 {
				lines = []string{para}
			}
			for _, line := range lines {
				pdf.SetXY(x, y)
				if err := pdf.Cell(&gopdf.Rect{W: w, H: lineHeight}, line); err != nil {
					return err
				}
				y += lineHeight
			}
		}
		return nil
	}
	text := func(font string, size float64, s string, r, g, b uint8) error {
		if err := pdf.SetFont(font, "", size); err != nil {
			return err
		}
		pdf.SetTextColor(r, g, b)
		if err := write(s, left, width, size*1.35); err != nil {
			return err
		}
		y += size * 0.5
		return nil
	}
	row := func(label, value string) error {
		if err := pdf.SetFont("regular", "", 10); err != nil {
			return err
		}
		pdf.SetTextColor(107, 114, 128)
		pdf.SetXY(left, y)
		if err := pdf.Cell(&gopdf.Rect{W: 150, H: 15}, label); err != nil {
			return err
		}
		if err := pdf.SetFont("regular", "", 11); err != nil {
			return err
		}
		pdf.SetTextColor(31, 41, 55)
		if err := write(value, left+150, width-150, 15); err != nil {
			return err
		}
		y += 6
		return nil
	}
	if err := text("bold", 11, "KEYWARD", 29, 78, 216); err != nil {
		return nil, err
	}
	if err := text("bold", 20, "License activation", 31, 41, 55); err != nil {
		return nil, err
	}
	if err := text("regular", 11, "Enter this license key in the product to activate it. Keep it confidential: "+
		"anyone holding it can use the license.", 75, 85, 99); err != nil {
		return nil, err
	}
	y += 6
	pdf.SetFillColor(239, 246, 255)
	pdf.SetStrokeColor(29, 78, 216)
	pdf.RectFromUpperLeftWithStyle(left, y, width, 44, "FD")
	y += 13
	if err := pdf.SetFont("bold", "", 18); err != nil {
		return nil, err
	}
	pdf.SetTextColor(29, 78, 216)
	pdf.SetXY(left, y)
	if err := pdf.CellWithOption(&gopdf.Rect{W: width, H: 20}, key, gopdf.CellOption{Align: gopdf.Center}); err != nil {
		return nil, err
	}
	y += 50
	modules := make([]string, 0, len(l.Features))
	for _, f := range l.Features {
		m := f.Name + " (" + f.Code + ")"
		if f.Floating {
			m += fmt.Sprintf(" — floating, %d simultaneous users, released after %d min", f.Max(), f.Timeout())
		}
		modules = append(modules, m)
	}
	if len(modules) == 0 {
		modules = []string{"none"}
	}
	limit := func(p *int) string {
		if p == nil {
			return "unlimited"
		}
		return strconv.Itoa(*p)
	}
	start, end := l.StartDate, l.EndDate+" (exclusive: the license is usable until the day before)"
	if l.StartDate == "" {
		start = fmt.Sprintf("when %d devices are activated", l.StartThreshold)
	}
	if l.EndDate == "" {
		end = fmt.Sprintf("%d year%s after the start", l.TermYears, plural(l.TermYears))
	}
	rows := [][2]string{
		{"Organization", org.Name + orgAddress(org)},
		{"Location", orDash(l.Location)},
		{"Partner / integrator", orDash(l.Partner)},
		{"Distributor", l.DistributorName},
		{"Product", l.ProductName + " (" + l.ProductCode + ")"},
		{"Modules", strings.Join(modules, "\n")},
		{"Limits", fmt.Sprintf("APs: %s · rooms: %s · devices: %s", limit(l.MaxAPs), limit(l.MaxRooms), limit(l.MaxDevices))},
		{"Term", fmt.Sprintf("%d year%s, paid %s", l.TermYears, plural(l.TermYears), l.Terms.PaymentPeriod)},
		{"Start date", start},
		{"End date", end},
		{"License number", strconv.FormatInt(l.ID, 10)},
	}
	for _, r := range rows {
		if err := row(r[0], r[1]); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := pdf.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newPDF starts an A4 document with Keyward's two fonts, "regular" and "bold" (Go fonts, embedded:
// no font files on the machine), and its first page.
func newPDF(title string) (*gopdf.GoPdf, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4})
	if err := pdf.AddTTFFontData("regular", goregular.TTF); err != nil {
		return nil, err
	}
	if err := pdf.AddTTFFontData("bold", gobold.TTF); err != nil {
		return nil, err
	}
	pdf.SetInfo(gopdf.PdfInfo{Title: title, Creator: "Keyward"})
	pdf.AddPage()
	return pdf, nil
}

func orgAddress(o store.Org) string {
	parts := []string{}
	for _, p := range []string{o.Address, strings.TrimSpace(o.Zip + " " + o.City), o.Country} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "\n" + strings.Join(parts, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
