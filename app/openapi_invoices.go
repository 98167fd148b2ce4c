package app

// addInvoicesToOpenAPI describes the invoicing API of DESIGN §7 in the OpenAPI document.
func addInvoicesToOpenAPI(spec obj) {
	paths := spec["paths"].(obj)
	schemas := spec["components"].(obj)["schemas"].(obj)
	money := obj{"type": "string", "pattern": `^-?[0-9]+(\.[0-9]+)?$`, "example": "511.65"}
	line := props([]string{"description", "unit_price"}, obj{"description": tString,
		"quantity":   obj{"type": "string", "example": "1.5", "description": "A decimal above 0, at most 4 decimals; default 1."},
		"unit_price": obj{"type": "string", "example": "150.00", "description": "Negative for a discount line."}})
	invoiceInput := props(nil, obj{"organization_id": tInt, "license_id": tNullInt, "currency": obj{"type": "string", "example": "EUR"},
		"tax_rate": obj{"type": "string", "example": "20", "description": "Percent, at most 2 decimals; default the issuer's."},
		"due_date": tDate, "lines": arrayOf(line), "notes": tString})
	schemas["Invoice"] = props(nil, obj{"id": tInt, "number": obj{"type": "string", "nullable": true, "example": "INV-2026-0001"},
		"status":          obj{"type": "string", "enum": []string{"draft", "issued", "paid", "void"}},
		"kind":            obj{"type": "string", "enum": []string{"prepaid", "usage", "manual"}},
		"organization_id": tInt, "organization": tString, "issuer_id": tInt, "license_id": tNullInt, "currency": tString,
		"issue_date": tDate, "due_date": tDate, "period_from": tDate, "period_to": tDate,
		"lines": arrayOf(props(nil, obj{"description": tString, "quantity": tString, "unit_price": money, "amount": money,
			"month": tString, "extra_core_days": tInt})),
		"subtotal": money, "tax_rate": tString, "tax": money, "total": money, "paid": money, "due": money, "credit": money,
		"overdue": tBool, "notes": tString, "void_reason": tString,
		"payments": arrayOf(props(nil, obj{"id": tInt, "amount": money, "date": tDate, "method": tString, "reference": tString,
			"reversed": tBool, "from_credit": tBool}))})
	schemas["InvoicingSettings"] = props(nil, obj{"organization_id": tInt, "prefix": obj{"type": "string", "example": "INV"},
		"payment_terms": obj{"type": "integer", "minimum": 0, "maximum": 365}, "tax_rate": tString, "currency": tString,
		"bank_details": tString, "footer": tString, "auto_issue": tBool})
	journalEntry := props(nil, obj{"date": tDate, "kind": obj{"type": "string", "enum": []string{"invoice", "payment", "payment_reversed", "void", "credit", "debit"}},
		"description": tString, "debit": money, "credit": money, "balance": money, "currency": tString, "invoice_id": tNullInt})
	invoice := ref("Invoice")
	id := idParameter()
	listParams := []obj{{"name": "page", "in": "query", "schema": tInt}, {"name": "per_page", "in": "query", "schema": tInt}}
	for _, q := range []string{"organization_id", "license_id", "status", "kind", "year"} {
		listParams = append(listParams, obj{"name": q, "in": "query", "schema": tString})
	}
	pdfGet := op("The invoice's PDF (the latest version; ?version=ID an older one, for the issuer). 409 for a draft.", "bearer", nil, "200", nil, "401", "403", "404", "409")
	pdfGet["responses"].(obj)["200"] = obj{"description": "The PDF.", "content": obj{"application/pdf": obj{"schema": obj{"type": "string", "format": "binary"}}}}
	pdfPut := op("Upload the issuer's own PDF as the newest version (at most 10 MiB, starting with %PDF-).", "bearer", nil, "200", invoice, "400", "401", "403", "404", "409", "413", "415")
	pdfPut["requestBody"] = obj{"required": true, "content": obj{"application/pdf": obj{"schema": obj{"type": "string", "format": "binary"}}}}
	for path, item := range map[string]obj{
		"/api/v1/invoices": {
			"get": withParams(op("List the invoices you see, newest first; drafts only to the issuer and staff; status=overdue for the overdue ones.",
				"bearer", nil, "200", props(nil, obj{"invoices": arrayOf(invoice), "page": tInt, "per_page": tInt, "total": tInt}), "400", "401"), listParams),
			"post": op("Create a manual draft for a client you issue invoices to. A bad line names itself: lines[2].unit_price.", "bearer",
				obj{"allOf": []obj{invoiceInput, props([]string{"organization_id", "lines"}, obj{})}}, "201", invoice, "400", "401", "403", "404"),
		},
		"/api/v1/invoices/{id}": {
			"get":   withParams(op("An invoice; drafts do not exist for the client (404).", "bearer", nil, "200", invoice, "401", "404"), id),
			"patch": withParams(op("Change the fields sent on a draft (409 once issued).", "bearer", invoiceInput, "200", invoice, "400", "401", "403", "404", "409"), id),
		},
		"/api/v1/invoices/{id}/issue": {"post": withParams(op("Issue a draft: its number {PREFIX}-{YYYY}-{NNNN}, issue and due dates, its PDF, its email.",
			"bearer", nil, "200", invoice, "401", "403", "404", "409"), id)},
		"/api/v1/invoices/{id}/void": {"post": withParams(op("Void an issued invoice without standing payments (else 409); it keeps its number.",
			"bearer", props([]string{"reason"}, obj{"reason": tString}), "200", invoice, "400", "401", "403", "404", "409"), id)},
		"/api/v1/invoices/{id}/payments": {"post": withParams(op("Record a payment (partial payments allowed; beyond the total it is credit), or apply the client's credit (from_credit).",
			"bearer", props([]string{"amount"}, obj{"amount": money, "date": tDate, "method": tString, "reference": tString, "from_credit": tBool}),
			"201", invoice, "400", "401", "403", "404", "409"), id)},
		"/api/v1/invoices/{id}/payments/{pid}/reverse": {"post": withParams(op("Reverse a payment recorded by mistake: it stays, marked reversed, with a journal entry of its own.",
			"bearer", nil, "200", invoice, "401", "403", "404", "409"), append(id, obj{"name": "pid", "in": "path", "required": true, "schema": tInt}))},
		"/api/v1/invoices/{id}/pdf": {"get": withParams(pdfGet, append(id, obj{"name": "version", "in": "query", "schema": tInt})), "put": withParams(pdfPut, id)},
		"/api/v1/invoices/{id}/pdfs": {"get": withParams(op("The PDF versions of an invoice, newest (the one served) first, with who stored them and when (the issuer).",
			"bearer", nil, "200", props(nil, obj{"versions": arrayOf(props(nil, obj{"id": tInt, "source": obj{"type": "string", "enum": []string{"generated", "uploaded"}},
				"filename": tString, "size": tInt, "sha256": tString, "created_by": tString, "created_at": tDateTime}))}), "401", "403", "404"), id)},
		"/api/v1/organizations/{id}/journal": {
			"get": withParams(op("A client's journal: entries oldest first with the running balance of their currency, the balances (above 0: the client owes), and what is overdue since when.",
				"bearer", nil, "200", props(nil, obj{"balances": obj{"type": "object", "additionalProperties": money},
					"overdue": obj{"type": "object", "additionalProperties": props(nil, obj{"amount": money, "since": tDate})},
					"entries": arrayOf(journalEntry)}), "401", "404"), id),
			"post": withParams(op("Record a manual adjustment (debit) or credit note (credit) on a client's journal.", "bearer",
				props([]string{"kind", "amount", "currency", "description"}, obj{"kind": obj{"type": "string", "enum": []string{"credit", "debit"}},
					"amount": money, "currency": tString, "date": tDate, "description": tString}), "201", journalEntry, "400", "401", "403", "404"), id),
		},
		"/api/v1/organizations/{id}/invoicing": {
			"get": withParams(op("An issuer's invoicing settings (a distributor or the vendor; the defaults until saved).", "bearer", nil, "200",
				ref("InvoicingSettings"), "401", "404"), id),
			"patch": withParams(op("Change the settings sent (the issuer's owners and staff).", "bearer", ref("InvoicingSettings"), "200",
				ref("InvoicingSettings"), "400", "401", "403", "404"), id),
		},
		"/api/v1/licenses/{id}/invoices": {"post": withParams(op("Make the generated draft of the period holding a month (its half-year for semiannual usage, "+
			"its contract year for annual prepaid); 409 ALREADY_INVOICED, 409 NOTHING_TO_INVOICE, 409 AMOUNT_TOO_LARGE.", "bearer",
			props([]string{"kind", "month"}, obj{"kind": obj{"type": "string", "enum": []string{"usage", "prepaid"}}, "month": obj{"type": "string", "example": "2026-10"}}),
			"201", invoice, "400", "401", "403", "404", "409"), id)},
	} {
		paths[path] = item
	}
}
