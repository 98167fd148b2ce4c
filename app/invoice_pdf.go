package app

import (
	"bytes"
	"compress/zlib"
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/signintech/gopdf"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/app/words"
	"keyward/store"
)

// invoicePDF renders an invoice's PDF at issue; the bytes are stored, so every download is the
// same. It runs inside the transaction that issues the invoice: doc.Invoice has its number and dates.
func (s *Server) invoicePDF(_ context.Context, doc invoiceDoc) ([]byte, error) {
	return renderInvoicePDF(invoiceLayoutOf(doc))
}

// invoiceLayoutOf puts an invoice in the words its PDF shows.
func invoiceLayoutOf(doc invoiceDoc) invoiceLayout {
	inv := doc.Invoice
	money := func(minor int64) string {
		return amountText(billing.Money{Minor: minor, Currency: billing.Currency(inv.Currency)})
	}
	d := invoiceLayout{Number: inv.Number, IssueDate: inv.IssueDate, DueDate: inv.DueDate, Currency: inv.Currency,
		Period:   invoicePeriodText(inv),
		Issuer:   docParty{Name: doc.Issuer.Name, Lines: partyLines(doc.Issuer, true)},
		Client:   docParty{Name: doc.Client.Name, Lines: partyLines(doc.Client, false)},
		Subtotal: money(inv.Subtotal), TaxLabel: "Tax (" + formatTaxRate(inv.TaxRate) + "%)", Tax: money(inv.Tax), Total: money(inv.Total),
		Notes: inv.Notes, BankDetails: doc.Settings.BankDetails, Footer: doc.Settings.Footer,
		PaymentNote: fmt.Sprintf("Please pay %s by %s, quoting %s.", money(inv.Total), inv.DueDate, inv.Number),
		UsageTitle:  "Extra cores per month",
		UsageExplanation: "Extra core-days: for each day, the billed cores beyond the prepaid ones, summed over the month. " +
			"Each month's amount is the extra cost of that month's estimate."}
	if strings.TrimSpace(d.Footer) == "" {
		d.Footer = doc.Issuer.Name
	}
	if l := doc.License; l.ID != 0 {
		d.Reference = fmt.Sprintf("License %d · %s", l.ID, l.ProductName)
		if l.Location != "" {
			d.Reference += " · " + l.Location
		}
	}
	for _, l := range inv.Lines {
		d.Lines = append(d.Lines, docLine{Description: l.Description, Quantity: formatQuantity(l.Quantity),
			UnitPrice: money(l.UnitPrice), Amount: money(l.Amount)})
		if inv.Kind == invoice.KindUsage && l.Month != "" {
			m, err := billing.ParseMonth(l.Month)
			month := l.Month
			if err == nil {
				month = fmt.Sprintf("%s %d", m.Month, m.Year)
			}
			d.Usage = append(d.Usage, docUsage{Month: month, CoreDays: strconv.FormatInt(l.ExtraCoreDays, 10), Amount: money(l.Amount)})
		}
	}
	return d
}

// partyLines are the lines under an organization's name: address, tax ID and, for the issuer,
// how to reach it.
func partyLines(o store.Org, contact bool) []string {
	var lines []string
	if o.Address != "" {
		lines = append(lines, o.Address)
	}
	if place := strings.TrimSpace(strings.TrimSpace(o.Zip+" "+o.City) + ", " + o.Country); strings.Trim(place, ", ") != "" {
		lines = append(lines, strings.Trim(place, ", "))
	}
	if o.TaxID != "" {
		lines = append(lines, "Tax ID "+o.TaxID)
	}
	if contact {
		var c []string
		for _, v := range []string{o.Email, o.Phone} {
			if v != "" {
				c = append(c, v)
			}
		}
		if len(c) > 0 {
			lines = append(lines, strings.Join(c, " · "))
		}
	}
	return lines
}

// invoicePeriodText is the period an invoice covers: whole months in words ("November 2026",
// "July – December 2026"), other periods as days in the portal's one date format, or "".
func invoicePeriodText(inv store.Invoice) string {
	from, err1 := billing.ParseDate(inv.PeriodFrom)
	to, err2 := billing.ParseDate(inv.PeriodTo)
	if err1 != nil || err2 != nil {
		return ""
	}
	if from != billing.MonthOf(from).First() || to != billing.MonthOf(to).Last() {
		return words.Date(from.Time()) + " – " + words.Date(to.Time())
	}
	return invoice.DescribePeriod(from, to)
}

// invoiceLayout is what an invoice's PDF shows, already in words: amounts with their currency,
// dates in the portal's one format. The layout below knows nothing of the store.
type invoiceLayout struct {
	Number                       string
	IssueDate, DueDate, Period   string // Period is "" for a manual invoice without one
	Issuer, Client               docParty
	Reference                    string // the license the invoice is about, or ""
	Lines                        []docLine
	Subtotal, TaxLabel, Tax      string
	Total                        string
	Usage                        []docUsage // a usage invoice's extra core-days, month by month
	Notes, BankDetails, Footer   string
	Currency                     string
	PaymentNote                  string // "Please pay … by …, quoting …"
	UsageTitle, UsageExplanation string
}

// docParty is the issuer or the client: a name and the lines under it.
type docParty struct {
	Name  string
	Lines []string
}

// docLine is one line of the lines table.
type docLine struct{ Description, Quantity, UnitPrice, Amount string }

// docUsage is one month of a usage invoice.
type docUsage struct{ Month, CoreDays, Amount string }

// The page of an invoice: A4 in points, with its margins and the columns of the lines table.
const (
	pdfLeft    = 50.0
	pdfRight   = 545.0
	pdfWidth   = pdfRight - pdfLeft
	pdfTop     = 50.0
	pdfBottom  = 770.0 // content stops here; the footer lives below
	pdfFooterY = 790.0
	colQtyX    = 290.0
	colPriceX  = 350.0
	colAmountX = 450.0
)

// Colours of the portal's stylesheet, so the document looks like the pages it comes from.
var (
	pdfInk    = [3]uint8{31, 41, 55}
	pdfMuted  = [3]uint8{107, 114, 128}
	pdfBlue   = [3]uint8{29, 78, 216}
	pdfRule   = [3]uint8{209, 213, 219}
	pdfShade  = [3]uint8{243, 244, 246}
	pdfAccent = [3]uint8{239, 246, 255}
)

// pdfWriter lays text out top to bottom over as many pages as it takes.
type pdfWriter struct {
	pdf *gopdf.GoPdf
	y   float64
	// onNewPage redraws what continues on a new page (the lines table's header).
	onNewPage func() error
}

func (w *pdfWriter) font(name string, size float64, colour [3]uint8) error {
	w.pdf.SetTextColor(colour[0], colour[1], colour[2])
	return w.pdf.SetFont(name, "", size)
}

// printable replaces the characters the embedded Go fonts lack, which gopdf would refuse.
func (w *pdfWriter) printable(s string) string {
	ok := true
	for _, r := range s {
		if r > 0x7e || r < 0x20 {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 {
			return ' '
		}
		if has, err := w.pdf.IsCurrFontContainGlyph(r); err != nil || !has {
			return '?'
		}
		return r
	}, s)
}

// cell writes one line of text in a box of width w at (x, y), aligned as align says.
func (w *pdfWriter) cell(x, y, width float64, text string, align int) error {
	text = w.printable(text)
	if text == "" {
		return nil
	}
	w.pdf.SetXY(x, y)
	return w.pdf.CellWithOption(&gopdf.Rect{W: width, H: 12}, text, gopdf.CellOption{Align: align | gopdf.Top})
}

// wrap splits text into lines of at most width, keeping its own line breaks.
func (w *pdfWriter) wrap(text string, width float64) ([]string, error) {
	var out []string
	for _, para := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		para = w.printable(strings.TrimRight(para, " \t"))
		if para == "" {
			out = append(out, "")
			continue
		}
		if fits, err := w.pdf.MeasureTextWidth(para); err != nil {
			return nil, err
		} else if fits <= width { // most lines: measuring once is cheaper than splitting
			out = append(out, para)
			continue
		}
		lines, err := w.pdf.SplitTextWithWordWrap(para, width)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

// paragraph writes wrapped text from x at the current height; y moves below it.
func (w *pdfWriter) paragraph(x, width float64, text string, lineHeight float64) error {
	lines, err := w.wrap(text, width)
	if err != nil {
		return err
	}
	for _, line := range lines {
		if err := w.need(lineHeight); err != nil {
			return err
		}
		if err := w.cell(x, w.y, width, line, gopdf.Left); err != nil {
			return err
		}
		w.y += lineHeight
	}
	return nil
}

// need starts a new page unless h more points fit on this one.
func (w *pdfWriter) need(h float64) error {
	if w.y+h <= pdfBottom {
		return nil
	}
	w.pdf.AddPage()
	w.y = pdfTop
	if w.onNewPage != nil {
		return w.onNewPage()
	}
	return nil
}

func (w *pdfWriter) rule(y float64, colour [3]uint8, width float64) {
	w.pdf.SetStrokeColor(colour[0], colour[1], colour[2])
	w.pdf.SetLineWidth(width)
	w.pdf.Line(pdfLeft, y, pdfRight, y)
}

func (w *pdfWriter) band(y, h float64, colour [3]uint8) {
	w.pdf.SetFillColor(colour[0], colour[1], colour[2])
	w.pdf.SetStrokeColor(colour[0], colour[1], colour[2])
	w.pdf.RectFromUpperLeftWithStyle(pdfLeft, y, pdfWidth, h, "F")
}

// heading writes a small capitalised title, as the portal's cards do.
func (w *pdfWriter) heading(title string) error {
	if err := w.need(40); err != nil {
		return err
	}
	if err := w.font("bold", 8.5, pdfMuted); err != nil {
		return err
	}
	if err := w.cell(pdfLeft, w.y, pdfWidth, strings.ToUpper(title), gopdf.Left); err != nil {
		return err
	}
	w.y += 14
	return nil
}

// renderInvoicePDF lays an invoice out on A4 pages. The same document gives the same bytes:
// the PDF carries no creation time, so a re-rendered invoice can be compared with its stored copy.
func renderInvoicePDF(d invoiceLayout) ([]byte, error) {
	pdf, err := newPDF("Invoice " + d.Number)
	if err != nil {
		return nil, err
	}
	// The fastest compression: an invoice is a few kilobytes more, and renders in half the time.
	pdf.SetCompressLevel(zlib.BestSpeed)
	pdf.SetInfo(gopdf.PdfInfo{Title: "Invoice " + d.Number, Subject: "Invoice " + d.Number, Author: d.Issuer.Name, Creator: "Keyward"})
	w := &pdfWriter{pdf: pdf, y: pdfTop}
	steps := []func(*pdfWriter, invoiceLayout) error{pdfHeader, pdfParties, pdfLines, pdfTotals, pdfUsage, pdfPayment, pdfNotes}
	for _, step := range steps {
		if err := step(w, d); err != nil {
			return nil, err
		}
	}
	if err := pdfFooters(w, d); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := pdf.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// pdfHeader: the issuer on the left, the title and the invoice's facts on the right.
func pdfHeader(w *pdfWriter, d invoiceLayout) error {
	top := w.y
	if err := w.font("bold", 16, pdfInk); err != nil {
		return err
	}
	name, err := w.wrap(d.Issuer.Name, 270)
	if err != nil {
		return err
	}
	for _, line := range name {
		if err := w.cell(pdfLeft, w.y, 270, line, gopdf.Left); err != nil {
			return err
		}
		w.y += 19
	}
	if err := w.font("regular", 9, pdfMuted); err != nil {
		return err
	}
	for _, line := range d.Issuer.Lines {
		if err := w.paragraph(pdfLeft, 270, line, 12); err != nil {
			return err
		}
	}
	left := w.y

	w.y = top
	if err := w.font("bold", 22, pdfBlue); err != nil {
		return err
	}
	if err := w.cell(pdfRight-200, w.y, 200, "INVOICE", gopdf.Right); err != nil {
		return err
	}
	w.y += 32
	facts := [][2]string{{"Number", d.Number}, {"Issue date", d.IssueDate}, {"Due date", d.DueDate}}
	if d.Period != "" {
		facts = append(facts, [2]string{"Period", d.Period})
	}
	for _, f := range facts {
		if err := w.font("regular", 9, pdfMuted); err != nil {
			return err
		}
		if err := w.cell(pdfRight-230, w.y, 90, f[0], gopdf.Left); err != nil {
			return err
		}
		if err := w.font("bold", 9.5, pdfInk); err != nil {
			return err
		}
		if err := w.cell(pdfRight-140, w.y, 140, f[1], gopdf.Right); err != nil {
			return err
		}
		w.y += 14
	}
	w.y = max(w.y, left) + 14
	w.rule(w.y, pdfRule, 0.7)
	w.y += 14
	return nil
}

// pdfParties: who is billed, and what for.
func pdfParties(w *pdfWriter, d invoiceLayout) error {
	top := w.y
	if err := w.heading("Bill to"); err != nil {
		return err
	}
	if err := w.font("bold", 11, pdfInk); err != nil {
		return err
	}
	if err := w.paragraph(pdfLeft, 270, d.Client.Name, 14); err != nil {
		return err
	}
	if err := w.font("regular", 9, pdfInk); err != nil {
		return err
	}
	for _, line := range d.Client.Lines {
		if err := w.paragraph(pdfLeft, 270, line, 12); err != nil {
			return err
		}
	}
	left := w.y
	if d.Reference != "" {
		w.y = top
		if err := w.font("bold", 8.5, pdfMuted); err != nil {
			return err
		}
		if err := w.cell(pdfRight-230, w.y, 230, "FOR", gopdf.Left); err != nil {
			return err
		}
		w.y += 14
		if err := w.font("regular", 9, pdfInk); err != nil {
			return err
		}
		if err := w.paragraph(pdfRight-230, 230, d.Reference, 12); err != nil {
			return err
		}
	}
	w.y = max(w.y, left) + 16
	return nil
}

// pdfLines: the lines table, its header repeated on every page it runs over.
func pdfLines(w *pdfWriter, d invoiceLayout) error {
	header := func() error {
		w.band(w.y, 20, pdfShade)
		if err := w.font("bold", 9, pdfInk); err != nil {
			return err
		}
		y := w.y + 5
		for _, c := range []struct {
			x, w  float64
			title string
			align int
		}{
			{pdfLeft + 6, colQtyX - pdfLeft - 12, "Description", gopdf.Left},
			{colQtyX, colPriceX - colQtyX - 6, "Quantity", gopdf.Right},
			{colPriceX, colAmountX - colPriceX - 6, "Unit price", gopdf.Right},
			{colAmountX, pdfRight - colAmountX - 6, "Amount", gopdf.Right},
		} {
			if err := w.cell(c.x, y, c.w, c.title, c.align); err != nil {
				return err
			}
		}
		w.y += 26
		return nil
	}
	if err := w.need(60); err != nil {
		return err
	}
	if err := header(); err != nil {
		return err
	}
	w.onNewPage = header
	defer func() { w.onNewPage = nil }()
	for _, l := range d.Lines {
		if err := w.font("regular", 9.5, pdfInk); err != nil {
			return err
		}
		desc, err := w.wrap(l.Description, colQtyX-pdfLeft-16)
		if err != nil {
			return err
		}
		h := float64(len(desc))*12 + 6
		if err := w.need(h); err != nil {
			return err
		}
		if err := w.font("regular", 9.5, pdfInk); err != nil { // the header of a new page changed it
			return err
		}
		for i, line := range desc {
			if err := w.cell(pdfLeft+6, w.y+float64(i)*12, colQtyX-pdfLeft-12, line, gopdf.Left); err != nil {
				return err
			}
		}
		if err := w.cell(colQtyX, w.y, colPriceX-colQtyX-6, l.Quantity, gopdf.Right); err != nil {
			return err
		}
		if err := w.cell(colPriceX, w.y, colAmountX-colPriceX-6, l.UnitPrice, gopdf.Right); err != nil {
			return err
		}
		if err := w.cell(colAmountX, w.y, pdfRight-colAmountX-6, l.Amount, gopdf.Right); err != nil {
			return err
		}
		w.y += h - 3
		w.rule(w.y, pdfRule, 0.5)
		w.y += 5
	}
	return nil
}

// pdfTotals: subtotal, tax and the total, right-aligned under the amounts.
func pdfTotals(w *pdfWriter, d invoiceLayout) error {
	if err := w.need(70); err != nil {
		return err
	}
	w.y += 4
	for _, r := range [][2]string{{"Subtotal", d.Subtotal}, {d.TaxLabel, d.Tax}} {
		if err := w.font("regular", 9.5, pdfMuted); err != nil {
			return err
		}
		if err := w.cell(colPriceX-60, w.y, colAmountX-colPriceX+54, r[0], gopdf.Right); err != nil {
			return err
		}
		if err := w.font("regular", 9.5, pdfInk); err != nil {
			return err
		}
		if err := w.cell(colAmountX, w.y, pdfRight-colAmountX-6, r[1], gopdf.Right); err != nil {
			return err
		}
		w.y += 15
	}
	w.y += 2
	w.pdf.SetFillColor(pdfAccent[0], pdfAccent[1], pdfAccent[2])
	w.pdf.RectFromUpperLeftWithStyle(colPriceX-60, w.y, pdfRight-colPriceX+60, 24, "F")
	if err := w.font("bold", 11.5, pdfBlue); err != nil {
		return err
	}
	if err := w.cell(colPriceX-60, w.y+6, colAmountX-colPriceX+54, "Total", gopdf.Right); err != nil {
		return err
	}
	if err := w.cell(colAmountX-40, w.y+6, pdfRight-colAmountX+34, d.Total, gopdf.Right); err != nil {
		return err
	}
	w.y += 38
	return nil
}

// pdfUsage: for a usage invoice, the extra core-days behind each month's amount.
func pdfUsage(w *pdfWriter, d invoiceLayout) error {
	if len(d.Usage) == 0 {
		return nil
	}
	if err := w.need(50 + 16*float64(min(len(d.Usage), 3))); err != nil {
		return err
	}
	if err := w.heading(d.UsageTitle); err != nil {
		return err
	}
	if err := w.font("regular", 8.5, pdfMuted); err != nil {
		return err
	}
	if err := w.paragraph(pdfLeft, pdfWidth, d.UsageExplanation, 11); err != nil {
		return err
	}
	w.y += 4
	cols := func(bold bool, month, days, amount string) error {
		name, colour := "regular", pdfInk
		if bold {
			name, colour = "bold", pdfMuted
		}
		if err := w.font(name, 9, colour); err != nil {
			return err
		}
		if err := w.cell(pdfLeft+6, w.y, 150, month, gopdf.Left); err != nil {
			return err
		}
		if err := w.cell(pdfLeft+160, w.y, 120, days, gopdf.Right); err != nil {
			return err
		}
		return w.cell(pdfLeft+290, w.y, 120, amount, gopdf.Right)
	}
	if err := cols(true, "Month", "Extra core-days", "Extra cost"); err != nil {
		return err
	}
	w.y += 15
	for _, u := range d.Usage {
		if err := w.need(16); err != nil {
			return err
		}
		if err := cols(false, u.Month, u.CoreDays, u.Amount); err != nil {
			return err
		}
		w.y += 13.5
	}
	w.y += 14
	return nil
}

// pdfPayment: what to pay by when, and where to; kept on one page with its heading.
func pdfPayment(w *pdfWriter, d invoiceLayout) error {
	text := d.PaymentNote
	if bank := strings.TrimSpace(d.BankDetails); bank != "" {
		text += "\n" + bank
	}
	return w.section("Payment", text)
}

// pdfNotes: the invoice's free-text notes, if any.
func pdfNotes(w *pdfWriter, d invoiceLayout) error {
	if strings.TrimSpace(d.Notes) == "" {
		return nil
	}
	return w.section("Notes", strings.TrimSpace(d.Notes))
}

// section writes a heading and its text, starting a new page first when a short section would
// otherwise be cut in two.
func (w *pdfWriter) section(title, text string) error {
	if err := w.font("regular", 9.5, pdfInk); err != nil {
		return err
	}
	lines, err := w.wrap(text, pdfWidth)
	if err != nil {
		return err
	}
	if h := 14 + 13*float64(len(lines)); h < (pdfBottom-pdfTop)/2 {
		if err := w.need(h); err != nil {
			return err
		}
	}
	if err := w.heading(title); err != nil {
		return err
	}
	if err := w.font("regular", 9.5, pdfInk); err != nil {
		return err
	}
	for _, line := range lines {
		if err := w.need(13); err != nil {
			return err
		}
		if err := w.cell(pdfLeft, w.y, pdfWidth, line, gopdf.Left); err != nil {
			return err
		}
		w.y += 13
	}
	w.y += 16
	return nil
}

// pdfFooters writes the issuer's footer and the page count at the foot of every page, once
// the number of pages is known.
func pdfFooters(w *pdfWriter, d invoiceLayout) error {
	pages := w.pdf.GetNumberOfPages()
	for p := 1; p <= pages; p++ {
		if err := w.pdf.SetPage(p); err != nil {
			return err
		}
		w.rule(pdfFooterY-8, pdfRule, 0.5)
		if err := w.font("regular", 7.5, pdfMuted); err != nil {
			return err
		}
		footer, err := w.wrap(strings.TrimSpace(d.Footer), pdfWidth-110)
		if err != nil {
			return err
		}
		for i, line := range footer[:min(len(footer), 4)] {
			if err := w.cell(pdfLeft, pdfFooterY+float64(i)*9.5, pdfWidth-110, line, gopdf.Left); err != nil {
				return err
			}
		}
		if err := w.cell(pdfRight-105, pdfFooterY, 105, fmt.Sprintf("%s · page %d of %d", d.Number, p, pages), gopdf.Right); err != nil {
			return err
		}
	}
	return nil
}
