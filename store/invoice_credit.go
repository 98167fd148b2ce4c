package store

import "context"

// CreditTotals are InvoiceTx.CreditTotals outside a change: for pages that show how much credit a
// client could apply, before anyone applies it.
func (db *DB) CreditTotals(ctx context.Context, orgID int64, currency string) (received, allocated int64, err error) {
	err = db.view(ctx, func(tx *Tx) error {
		var err error
		received, allocated, err = InvoiceTx{ctx: ctx, tx: tx}.CreditTotals(orgID, currency)
		return err
	})
	return received, allocated, err
}
