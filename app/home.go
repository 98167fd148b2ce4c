package app

// The home dashboards of DESIGN §8. A client's users see each license's month so far and its
// projection; a distributor's users see their clients, licenses by status, those ending soon and
// the work waiting (requests, drafts, overdue invoices); staff see the same across distributors.
//
// Month-to-date cost is never recomputed from usage on a page view: it is cached per license and
// month (store.MonthCost) and invalidated exactly — every write that can change a month's cost
// (daily billed cores written by usage ingestion or import, a license's terms, dates or status
// changed) increments the license's cost_version in its own transaction, and a cached cost is
// read only while its version and day still hold. A cache miss is computed once and stored.

import (
	"context"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/app/words"
	"keyward/store"
)

// home shows the dashboards of the user's organizations.
// GET /
func (s *Server) home(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := currentUser(c)
	ms, err := s.db.Memberships(ctx, u.ID)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Home"}
	var dists []int64
	var clients []store.Org
	staff := newAccess(ms).staff
	for _, m := range ms {
		switch m.Org.Kind {
		case store.KindDistributor:
			dists = append(dists, m.Org.ID)
		case store.KindClient:
			clients = append(clients, m.Org)
		}
	}
	if staff || len(dists) > 0 {
		d, err := s.db.Dashboard(ctx, store.DashboardScope{All: staff, DistributorIDs: dists})
		if err != nil {
			return err
		}
		data["Dashboard"] = s.dashboardView(d)
		// The clients owing the most: a distributor's first calls of the day.
		f := store.OrgFilter{All: staff, ParentIDs: dists, Kind: store.KindClient, Sort: "balance", Desc: true, Limit: 5}
		orgs, stats, _, err := s.db.ListOrgs(ctx, f)
		if err != nil {
			return err
		}
		data["TopClients"] = clientRows(orgs, stats)
	}
	var sections []clientDashboard
	for _, org := range clients {
		cd, err := s.clientDashboard(ctx, org)
		if err != nil {
			return err
		}
		sections = append(sections, cd)
	}
	data["ClientDashboards"] = sections
	return s.render(c, "home", data)
}

// dashboardView is a distributor's or staff's dashboard in words.
type dashboardView struct {
	store.Dashboard
	Statuses   []statusCount
	EndingSoon []endingLicense
	MoreEnding int
}

type endingLicense struct {
	store.License
	EndsIn string // "ends in 12 days"
}

func (s *Server) dashboardView(d store.Dashboard) dashboardView {
	v := dashboardView{Dashboard: d, Statuses: countsOf(d.ByStatus), MoreEnding: d.Ending30 - len(d.EndingSoon)}
	today := s.today()
	for _, l := range d.EndingSoon {
		v.EndingSoon = append(v.EndingSoon, endingLicense{License: l, EndsIn: endsIn(today, l.EndDate)})
	}
	return v
}

// endsIn says when a license ends, counted from today to its (exclusive) end date: "ends in 12
// days", "ends tomorrow".
func endsIn(today billing.Date, endDate string) string {
	end, err := billing.ParseDate(endDate)
	if err != nil {
		return ""
	}
	switch n := today.DaysUntil(end); {
	case n <= 0:
		return "ended"
	case n == 1:
		return "ends tomorrow"
	default:
		return fmt.Sprintf("ends in %d days", n)
	}
}

// sentenceCase writes a label with a capital first letter: "In use".
func sentenceCase(s string) string { return words.Sentence(s) }

// clientDashboard is one client organization's part of the home page.
type clientDashboard struct {
	Org      store.Org
	Licenses []licenseCost
	Open     []invoiceView // issued invoices not paid yet
}

// licenseCost is a license with this month's cost so far and its projection, in words.
type licenseCost struct {
	store.License
	StatusText             string
	SoFar, Projected       string // "1,234.50 EUR", "" when the license has no cost to show
	ExtraCores             int64
	EndsIn                 string
	MonthComplete, Pending bool
}

func (s *Server) clientDashboard(ctx context.Context, org store.Org) (clientDashboard, error) {
	cd := clientDashboard{Org: org}
	ls, _, err := s.db.Licenses(ctx, store.LicenseFilter{All: true, OrgID: org.ID, Sort: "end", Limit: 100})
	if err != nil {
		return cd, err
	}
	costs, err := s.monthCosts(ctx, ls)
	if err != nil {
		return cd, err
	}
	today := s.today()
	for _, l := range ls {
		lc := licenseCost{License: l, StatusText: sentenceCase(statusLabel(l.Status)), EndsIn: endsIn(today, l.EndDate)}
		if l.EndDate == "" {
			lc.EndsIn = "no end date yet"
		}
		if mc, ok := costs[l.ID]; ok {
			cur := billing.Currency(mc.Currency)
			lc.SoFar = amountText(billing.Money{Minor: mc.Total, Currency: cur})
			lc.Projected = amountText(billing.Money{Minor: mc.ProjectedTotal, Currency: cur})
			lc.ExtraCores, lc.MonthComplete = mc.ExtraCores, mc.Complete
		}
		cd.Licenses = append(cd.Licenses, lc)
	}
	open, _, err := s.db.Invoices(ctx, store.InvoiceFilter{ClientIDs: []int64{org.ID}, OrgID: org.ID, Status: "issued", Limit: 20})
	if err != nil {
		return cd, err
	}
	for _, inv := range open {
		cd.Open = append(cd.Open, s.invoiceViewOf(inv))
	}
	return cd, nil
}

// monthCosts returns this month's cost of each license that has one: from the cache when it still
// holds, else priced by the cost engine once and cached with the license's cost version read
// before pricing (a write meanwhile moves the version on, so that copy is never read).
func (s *Server) monthCosts(ctx context.Context, ls []store.License) (map[int64]store.MonthCost, error) {
	var priced []store.License
	for _, l := range ls {
		if l.Status != store.StatusPendingProvision && l.StartDate != "" {
			priced = append(priced, l)
		}
	}
	if len(priced) == 0 {
		return map[int64]store.MonthCost{}, nil
	}
	ids := make([]int64, len(priced))
	for i, l := range priced {
		ids[i] = l.ID
	}
	today := s.today()
	month := billing.MonthOf(today)
	costs, err := s.db.MonthCosts(ctx, ids, month.String())
	if err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range ids {
		if _, ok := costs[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return costs, nil
	}
	versions, err := s.db.CostVersions(ctx, missing)
	if err != nil {
		return nil, err
	}
	for _, l := range priced {
		version, ok := versions[l.ID]
		if !ok {
			continue
		}
		contract, err := s.contractOf(ctx, l)
		if err != nil {
			continue // terms the engine refuses: the license shows no cost rather than break the page
		}
		est, err := s.estimateMonth(ctx, l, contract, month)
		if err != nil {
			return nil, err
		}
		total, ok1 := est.Total.Money()
		projected, ok2 := est.ProjectedTotal.Money()
		if !ok1 || !ok2 {
			continue // beyond what an invoice can hold: the license's cost page shows it
		}
		mc := store.MonthCost{LicenseID: l.ID, Month: month.String(), Day: today.String(), Version: version,
			Currency: string(est.Currency), Total: total.Minor, ProjectedTotal: projected.Minor, Complete: est.Complete}
		for _, d := range est.Days {
			mc.ExtraCores += d.ExtraCores
		}
		if err := s.db.SaveMonthCost(ctx, mc); err != nil {
			return nil, err
		}
		costs[l.ID] = mc
	}
	return costs, nil
}
