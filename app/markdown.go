package app

import (
	"html"
	"html/template"
	"regexp"
	"strings"
)

// renderTerms turns the body of the terms into HTML: format "markdown" knows paragraphs,
// headings, lists, emphasis and http(s) links; "text" keeps paragraphs and line breaks.
// Everything else is escaped: staff write the terms, but no raw HTML ever reaches a page.
func renderTerms(format, body string) template.HTML {
	if format == "markdown" {
		return template.HTML(renderMarkdown(body))
	}
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			b.WriteString("<p>" + strings.ReplaceAll(html.EscapeString(para), "\n", "<br>\n") + "</p>\n")
		}
	}
	return template.HTML(b.String())
}

var (
	mdHeading = regexp.MustCompile(`^(#{1,4})\s+(.*)$`)
	mdBullet  = regexp.MustCompile(`^\s*[-*+]\s+(.*)$`)
	mdNumber  = regexp.MustCompile(`^\s*\d{1,9}[.)]\s+(.*)$`)
	mdLink    = regexp.MustCompile(`^\[([^\]]+)\]\((https?://[^\s()<>"]+)\)`)
)

// renderMarkdown renders the small Markdown subset of the terms, line by line.
func renderMarkdown(src string) string {
	var b strings.Builder
	var para []string
	list := "" // "ul" or "ol" while a list is open
	flush := func() {
		if len(para) > 0 {
			b.WriteString("<p>" + mdInline(strings.Join(para, " ")) + "</p>\n")
			para = nil
		}
	}
	closeList := func() {
		if list != "" {
			b.WriteString("</" + list + ">\n")
			list = ""
		}
	}
	item := func(kind, content string) {
		flush()
		if list != kind {
			closeList()
			b.WriteString("<" + kind + ">\n")
			list = kind
		}
		b.WriteString("<li>" + mdInline(content) + "</li>\n")
	}
	for _, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		trimmed := strings.TrimSpace(line)
		if m := mdHeading.FindStringSubmatch(trimmed); m != nil {
			flush()
			closeList()
			level := string(rune('1' + len(m[1]))) // # is h2: the page has its own h1
			b.WriteString("<h" + level + ">" + mdInline(m[2]) + "</h" + level + ">\n")
		} else if m := mdBullet.FindStringSubmatch(line); m != nil {
			item("ul", m[1])
		} else if m := mdNumber.FindStringSubmatch(line); m != nil {
			item("ol", m[1])
		} else if trimmed == "" {
			flush()
			closeList()
		} else {
			closeList()
			para = append(para, trimmed)
		}
	}
	flush()
	closeList()
	return b.String()
}

// mdInline renders **strong**, *emphasis* or _emphasis_ and [links](https://…), escaping the rest.
func mdInline(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		if m := mdLink.FindStringSubmatch(s); m != nil {
			b.WriteString(`<a href="` + html.EscapeString(m[2]) + `" rel="noopener noreferrer">` + mdInline(m[1]) + "</a>")
			s = s[len(m[0]):]
			continue
		}
		if strings.HasPrefix(s, "**") {
			if end := strings.Index(s[2:], "**"); end > 0 {
				b.WriteString("<strong>" + mdInline(s[2:2+end]) + "</strong>")
				s = s[4+end:]
				continue
			}
		}
		if s[0] == '*' || s[0] == '_' {
			if end := strings.IndexByte(s[1:], s[0]); end > 0 {
				b.WriteString("<em>" + mdInline(s[1:1+end]) + "</em>")
				s = s[2+end:]
				continue
			}
		}
		next := strings.IndexAny(s[1:], "[*_")
		if next < 0 {
			next = len(s) - 1
		}
		b.WriteString(html.EscapeString(s[:1+next]))
		s = s[1+next:]
	}
	return b.String()
}
