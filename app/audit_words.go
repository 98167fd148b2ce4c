package app

import (
	"regexp"
	"strings"
	"unicode"

	"keyward/app/words"
	"keyward/store"
)

// auditPhrases say what an audit entry's action did, as a person would (DESIGN §2: entries read
// as sentences, not event codes); the entry's target and details complete the sentence.
var auditPhrases = map[string]string{
	"bootstrap":                          "Created the vendor and its first staff account",
	"login":                              "Signed in",
	"login.failed":                       "Failed to sign in: wrong email or password",
	"login.refused":                      "Was refused sign-in",
	"login.two_factor":                   "Signed in with an authenticator code",
	"login.recovery_code":                "Signed in with a recovery code",
	"login.two_factor_failed":            "Failed the second step of sign-in",
	"logout":                             "Signed out",
	"two_factor.enabled":                 "Turned on two-factor sign-in",
	"two_factor.disabled":                "Turned off two-factor sign-in",
	"two_factor.recovery_codes_replaced": "Made new recovery codes",
	"two_factor.reset":                   "Reset the two-factor sign-in of",
	"two_factor.required":                "Required two-factor sign-in for staff and distributor users",
	"two_factor.not_required":            "Stopped requiring two-factor sign-in for staff and distributor users",
	"password.changed":                   "Changed their password",
	"password.reset_requested":           "Asked for a password reset link",
	"password.reset":                     "Reset their password with an emailed link",
	"email.change_requested":             "Asked to change their email to",
	"email.changed":                      "Changed their email",
	"invitation.sent":                    "Invited",
	"invitation.resent":                  "Sent the invitation again to",
	"invitation.revoked":                 "Revoked the invitation of",
	"invitation.accepted":                "Accepted the invitation of",
	"invitation.joined":                  "Added an existing account:",
	"member.role_changed":                "Changed the role of",
	"member.removed":                     "Removed from the organization:",
	"member.associated":                  "Added an existing user to the organization:",
	"impersonation.started":              "Started impersonating",
	"impersonation.stopped":              "Stopped impersonating",
	"impersonation.ended":                "Stopped impersonating, after the hour allowed,",
	"org.updated":                        "Edited the organization",
	"org.suspended":                      "Suspended the organization",
	"org.reactivated":                    "Reactivated the organization",
	"user.deactivated":                   "Deactivated the account of",
	"user.reactivated":                   "Reactivated the account of",
	"terms.published":                    "Published new terms",
	"terms.accepted":                     "Accepted the terms",
	"product.created":                    "Created the product",
	"product.updated":                    "Edited the product",
	"license.created":                    "Created",
	"license.edited":                     "Edited",
	"license.upgrade":                    "Changed the features of",
	"license.status":                     "Changed the status of",
	"license.key_regenerated":            "Regenerated the key of",
	"license.key_revealed":               "Revealed the key of",
	"license.seat_revoked":               "Revoked a floating seat of",
	"license.terms":                      "Changed the prices of",
	"license.renewal":                    "Renewed",
	"license.provision":                  "Provisioned",
	"invoice.created":                    "Drafted",
	"invoice.edited":                     "Edited",
	"invoice.deleted":                    "Deleted the draft",
	"invoice.generated":                  "Generated",
	"invoice.issued":                     "Issued",
	"invoice.voided":                     "Voided",
	"invoice.payment":                    "Recorded a payment of",
	"invoice.payment_reversed":           "Reversed a payment of",
	"invoice.pdf_uploaded":               "Uploaded a PDF of",
	"journal.credit":                     "Added a credit note to the",
	"journal.debit":                      "Added a debit to the",
	"invoicing.settings":                 "Changed the",
	"webhook.created":                    "Registered the webhook",
	"webhook.deleted":                    "Deleted the webhook",
	"webhook.tested":                     "Sent a test event to the webhook",
	"user.overage_alerts":                "Turned their overage alert emails on or off:",
	"license.device_deactivated":         "Deactivated a device of",
	"license.device_culled":              "Deactivated a silent device of",
	"license.license_file":               "Downloaded an offline license file of",
	"license_request.created":            "Asked for a license:",
	"license_request.accepted":           "Accepted",
	"license_request.declined":           "Declined",
	"license.deleted":                    "Deleted",
}

// auditWords is the phrase of an audit action. An action without a phrase (one added without
// writing its phrase here) still reads as words, never as its code: "Invoice: sent again".
func auditWords(action string) string {
	if p, ok := auditPhrases[action]; ok {
		return p
	}
	area, what, _ := strings.Cut(action, ".")
	if what == "" {
		return words.Status(area)
	}
	return words.Status(area) + ": " + strings.ReplaceAll(what, "_", " ")
}

// auditSentence is an audit entry as a sentence a person reads: who (both people while one
// impersonated the other), what, and about what — "Dora Distributor regenerated the key of
// BER-MITTE", "Sam Support, acting as Carla Client, revoked the invitation of a@b.example".
func auditSentence(e store.AuditEntry) string {
	who := personWords(e.ActorName, e.ActorEmail)
	if e.ImpersonatorEmail != "" {
		who = personWords(e.ImpersonatorName, e.ImpersonatorEmail) + ", acting as " + who + ","
	}
	what := auditWords(e.Action)
	if what != e.Action && what != "" {
		r := []rune(what)
		r[0] = unicode.ToLower(r[0])
		what = string(r)
	}
	out := strings.TrimSpace(who + " " + what)
	if e.Target != "" {
		out += " " + e.Target
	}
	return out
}

// personWords names a person by name, or by email when the account has no name (or is gone).
func personWords(name, email string) string {
	switch {
	case name != "":
		return name
	case email != "":
		return email
	}
	return "Keyward"
}

// auditLine is an audit entry with its sentence, for pages.
type auditLine struct {
	store.AuditEntry
	Sentence string
}

func auditSentences(es []store.AuditEntry) []auditLine {
	out := make([]auditLine, len(es))
	for i, e := range es {
		out[i] = auditLine{AuditEntry: e, Sentence: auditSentence(e)}
	}
	return out
}

// isoDay and bareAmount find, in the free text of an audit entry's details (written when the
// entry was), the days and amounts that pages write otherwise: "2026-12-02", "10080.00 EUR".
var (
	isoDay     = regexp.MustCompile(`\b\d{4}-\d{2}-\d{2}\b`)
	bareAmount = regexp.MustCompile(`\b(\d{4,})(\.\d+ [A-Z]{3})\b`)
)

// detailWords writes an audit entry's details as the rest of the page writes values: statuses in
// words, days as "2 Dec 2026", amounts with thousands separators.
func detailWords(details string) string {
	s := statusWords.Replace(details)
	s = isoDay.ReplaceAllStringFunc(s, words.Day)
	return bareAmount.ReplaceAllStringFunc(s, func(m string) string {
		parts := bareAmount.FindStringSubmatch(m)
		whole := parts[1]
		for i := len(whole) - 3; i > 0; i -= 3 {
			whole = whole[:i] + "," + whole[i:]
		}
		return whole + parts[2]
	})
}
