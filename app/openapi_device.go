package app

// addDeviceTrustToOpenAPI describes DESIGN §9 in the OpenAPI document: the public key, signed
// answers and nonces, license files, borrowing, heartbeats, and product editing.
func addDeviceTrustToOpenAPI(spec obj) {
	paths := spec["paths"].(obj)
	schemas := spec["components"].(obj)["schemas"].(obj)
	paths["/api/v1/public-key"] = obj{"get": op("The Ed25519 public key that checks every device API answer's Keyward-Signature header "+
		"(t=<unix>, sig=<base64 of the signature of \"keyward-v1\\n<t>\\n<body as sent>\">) and the offline license files. No credentials.", "",
		nil, "200", props(nil, obj{"algorithm": obj{"type": "string", "enum": []string{"ed25519"}},
			"public_key": obj{"type": "string", "description": "The 32 bytes of the key, standard base64 with padding."}}))}
	paths["/api/v1/products/{id}"] = obj{
		"get": withParams(op("A product with its features (any signed-in user).", "bearer", nil, "200", ref("Product"), "401", "404"), idParameter()),
		"patch": withParams(op("Change a product (staff): the fields sent change; features are changed by code or added, never removed; "+
			"the code never changes.", "bearer", ref("ProductInput"), "200", ref("Product"), "400", "401", "404"), idParameter()),
	}
	paths["/api/v1/features/borrow"] = obj{"post": op("Borrow a floating seat for a device going offline: held until borrowed_until "+
		"(1 ≤ hours ≤ the feature's max_borrow_hours; borrowing again moves it), whatever its checks; features/release returns it early. "+
		"400 field hours or feature (not floating); 403 NO_FLOATING_SLOT.", "license",
		props([]string{"fingerprint", "feature", "hours"}, obj{"fingerprint": tString, "feature": tString, "hours": intRange(1, maxBorrowHours)}), "200",
		props(nil, obj{"seat": props(nil, obj{"feature": tString, "fingerprint": tString, "taken_at": tDateTime, "borrowed_until": tDateTime}),
			"used": tInt, "max": tInt}), "400", "401", "403", "404", "429")}
	paths["/api/v1/license-file"] = obj{"post": op("A signed offline license file for an activated device: days 1–365 (default 30), never past "+
		"00:00 UTC of the end date. The signature covers the decoded payload bytes; keyward verify --public-key B64 FILE checks a saved file.", "license",
		props([]string{"fingerprint"}, obj{"fingerprint": tString, "days": intRange(1, maxFileDays)}), "200",
		props(nil, obj{"payload": obj{"type": "string", "description": "base64 of {\"license\":{…as validate shows it},\"fingerprint\",\"issued_at\",\"expires_at\"}"},
			"signature": obj{"type": "string", "description": "base64 Ed25519 signature of the decoded payload"},
			"algorithm": obj{"type": "string", "enum": []string{"ed25519"}}}), "400", "401", "403", "404", "429")}
	for _, name := range []string{"Feature"} {
		schemas[name].(obj)["properties"].(obj)["max_borrow_hours"] = intRange(0, maxBorrowHours)
	}
	for _, name := range []string{"Product", "ProductInput", "License"} {
		schemas[name].(obj)["properties"].(obj)["heartbeat_minutes"] = intRange(0, maxTimeoutMinutes)
	}
	nonce := obj{"type": "string", "minLength": 1, "maxLength": maxNonce,
		"description": "Echoed as \"nonce\" in the signed answer, so that a recorded answer cannot be replayed to another request."}
	for path, item := range paths {
		if !signedPath(path) {
			continue
		}
		o := item.(obj)["post"].(obj)
		o["description"] = "Every answer, errors included, carries Keyward-Signature: t=<unix seconds>, sig=<base64>; with a nonce, " +
			"a 204 becomes 200 {\"nonce\"}."
		if body, ok := o["requestBody"].(obj); ok {
			schema := body["content"].(obj)["application/json"].(obj)["schema"].(obj)
			if p, ok := schema["properties"].(obj); ok {
				p["nonce"] = nonce
			}
		}
	}
}
