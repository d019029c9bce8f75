package main

import (
	"context"
	"fmt"

	"camaug/internal/apperr"
	"camaug/internal/identity"
)

// integrations copies what came with the province's accounts, push and
// API clients, through the stores' own interfaces: each account's provider
// links, the staff group mappings and verified acr values, each account's
// stated assurance and push devices, and the API clients (their key hashes,
// scopes and webhook subscriptions). Staff links go as records
// (transfer.StaffLinks). What the target holds already is kept.
func (m *migration) integrations(ctx context.Context) error {
	sid, did := m.src.Identity(), m.dst.Identity()
	links, devices, assurances := 0, 0, 0
	linksChanged, devicesChanged, assurancesChanged := 0, 0, 0
	err := eachUser(ctx, sid, func(u identity.User) error {
		ls, err := sid.ListLinks(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, l := range ls {
			links++
			if _, err := did.FindLink(ctx, l.Issuer, l.Subject); apperr.CodeOf(err) == apperr.ENOTFOUND {
				if err := did.AddLink(ctx, l); err != nil {
					return err
				}
				linksChanged++
			} else if err != nil {
				return err
			}
		}
		ds, err := m.src.Devices().UserDevices(ctx, u.ID)
		if err != nil {
			return err
		}
		have, err := m.dst.Devices().UserDevices(ctx, u.ID)
		if err != nil {
			return err
		}
		known := map[string]bool{}
		for _, d := range have {
			known[d.Token] = true
		}
		for i := len(ds) - 1; i >= 0; i-- { // oldest first: the newest stays newest
			devices++
			if known[ds[i].Token] {
				continue
			}
			if _, _, err := m.dst.Devices().PutDevice(ctx, ds[i], identity.MaxDevicesPerAccount); err != nil {
				return err
			}
			devicesChanged++
		}
		a, err := sid.GetAssurance(ctx, u.ID)
		if apperr.CodeOf(err) == apperr.ENOTFOUND {
			return nil
		} else if err != nil {
			return err
		}
		assurances++
		if cur, err := did.GetAssurance(ctx, u.ID); err == nil && !a.UpdatedAt.After(cur.UpdatedAt) {
			return nil
		}
		assurancesChanged++
		return did.SetAssurance(ctx, a)
	})
	if err != nil {
		return fmt.Errorf("provider links, devices and assurance: %s", describe(err))
	}
	m.report("provider links", links, linksChanged)
	m.report("push devices", devices, devicesChanged)
	m.report("stated assurance", assurances, assurancesChanged)

	maps, err := sid.ListGroupMappings(ctx)
	if err != nil {
		return err
	}
	changed := 0
	for _, g := range maps {
		if _, err := did.GetGroupMapping(ctx, g.ID); apperr.CodeOf(err) == apperr.ENOTFOUND {
			if err := did.CreateGroupMapping(ctx, g); err != nil {
				return fmt.Errorf("group mapping %s: %s", g.Group, describe(err))
			}
			changed++
		} else if err != nil {
			return err
		}
	}
	m.report("group mappings", len(maps), changed)
	acrs, err := sid.VerifiedACRs(ctx)
	if err != nil {
		return err
	}
	if cur, err := did.VerifiedACRs(ctx); err != nil {
		return err
	} else if len(cur) == 0 && len(acrs) > 0 {
		if err := did.SetVerifiedACRs(ctx, acrs); err != nil {
			return err
		}
		m.changed++
	}

	clients, err := m.src.Clients().ListClients(ctx)
	if err != nil {
		return err
	}
	changed = 0
	for _, c := range clients {
		// A client the target has is kept: once it serves, a rotation or
		// revocation there is newer than the source's copy.
		_, err := m.dst.Clients().GetClient(ctx, c.ID)
		switch {
		case apperr.CodeOf(err) == apperr.ENOTFOUND:
			if err := m.dst.Clients().CreateClient(ctx, &c); err != nil {
				return fmt.Errorf("API client %s: %s", c.ID, describe(err))
			}
			changed++
		case err != nil:
			return err
		}
	}
	m.report("API clients", len(clients), changed)
	return nil
}
