package app

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
	"license.device_deactivated":         "Deactivated a device of",
	"license.device_culled":              "Deactivated a silent device of",
	"license.license_file":               "Downloaded an offline license file of",
	"license_request.created":            "Asked for a license:",
	"license_request.accepted":           "Accepted",
	"license_request.declined":           "Declined",
}

// auditWords is the phrase of an audit action; an action without one shows as it is recorded.
func auditWords(action string) string {
	if p, ok := auditPhrases[action]; ok {
		return p
	}
	return action
}
