package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/porticohq/portico/internal/core"
	"github.com/porticohq/portico/internal/dnsname"
	"github.com/porticohq/portico/internal/store"
)

// The operator's blocklist: names (and everything under them) no zone may
// hold, such as a brand that phishers keep registering. A blocked name is
// refused at create; an existing hostname under a newly blocked name becomes
// blocked at its next check, which adding the entry brings forward to now,
// so a running scheduler blocks it within its poll interval. blocked is
// final: removing the entry lets new hostnames in, but a blocked hostname
// stays blocked until an operator deletes it.

// Audit events of the blocklist.
const (
	EventBlockAdded   = "blocklist_entry_added"
	EventBlockRemoved = "blocklist_entry_removed"
)

// BlockResult is what adding a blocklist entry did.
type BlockResult struct {
	Name        string // canonical
	Added       bool   // false when the entry existed already
	Rescheduled int    // hostnames at or under Name now due for a check
}

func (s *Service) blocklist() (store.Blocklist, error) {
	bl, ok := s.st.(store.Blocklist)
	if !ok {
		return nil, errors.New("the store keeps no blocklist")
	}
	return bl, nil
}

// parseBlockName parses a blocklist entry as a hostname (so "Brand.COM"
// and "brand.com" are one entry); wildcards are refused: an entry covers
// its subtree already.
func parseBlockName(input string) (dnsname.Name, error) {
	n, err := dnsname.Parse(input, dnsname.Policy{})
	if err != nil {
		return dnsname.Name{}, nameError(ReasonInvalidHostname, "name", err)
	}
	return n, nil
}

// checkBlocked refuses a name the blocklist covers.
func (s *Service) checkBlocked(ctx context.Context, name dnsname.Name) error {
	bl, ok := s.st.(store.Blocklist)
	if !ok {
		return nil
	}
	entry, err := bl.MatchBlock(ctx, name.String())
	if err != nil {
		return fmt.Errorf("checking %s against the blocklist: %w", name, err)
	}
	if entry == "" {
		return nil
	}
	return &core.Error{Kind: core.KindInvalid, Reason: ReasonHostnameBlocked, Field: "hostname",
		Public: fmt.Sprintf("The hostname %s is blocked: the operator does not allow custom hostnames at or under %s.", name, entry)}
}

// BlockName adds a blocklist entry (see the package comment above).
func (s *Service) BlockName(ctx context.Context, input string) (BlockResult, error) {
	n, err := parseBlockName(input)
	if err != nil {
		return BlockResult{}, err
	}
	bl, err := s.blocklist()
	if err != nil {
		return BlockResult{}, err
	}
	added, rescheduled, err := bl.AddBlock(ctx, n.String(), s.now())
	if err != nil {
		return BlockResult{}, fmt.Errorf("blocking %s: %w", n, err)
	}
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("event", EventBlockAdded),
		slog.String("name", n.String()), slog.Bool("added", added), slog.Int("rescheduled", rescheduled))
	return BlockResult{Name: n.String(), Added: added, Rescheduled: rescheduled}, nil
}

// UnblockName removes a blocklist entry; not found when there is none.
func (s *Service) UnblockName(ctx context.Context, input string) (string, error) {
	n, err := parseBlockName(input)
	if err != nil {
		return "", err
	}
	bl, err := s.blocklist()
	if err != nil {
		return "", err
	}
	if err := bl.RemoveBlock(ctx, n.String()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return "", &core.Error{Kind: core.KindNotFound, Reason: "block_not_found",
				Public: fmt.Sprintf("%s is not on the blocklist.", n), Err: err}
		}
		return "", fmt.Errorf("unblocking %s: %w", n, err)
	}
	s.audit.LogAttrs(ctx, slog.LevelInfo, "audit", slog.String("event", EventBlockRemoved), slog.String("name", n.String()))
	return n.String(), nil
}

// ListBlocks returns the blocklist in name order.
func (s *Service) ListBlocks(ctx context.Context) ([]store.Block, error) {
	bl, err := s.blocklist()
	if err != nil {
		return nil, err
	}
	out, err := bl.ListBlocks(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the blocklist: %w", err)
	}
	return out, nil
}
