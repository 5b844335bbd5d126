package service

import "context"

// AddHooks adds h to the hooks already set (by Config.Hooks, SetHooks or an
// earlier AddHooks): each subsystem that reacts to hostname changes adds
// its own, and every one is told of every change, in the order added. It
// may be called at any time.
func (s *Service) AddHooks(h Hooks) {
	if h == nil {
		return
	}
	for {
		old := s.hooks.Load()
		next := &hooksHolder{h: h}
		if old != nil {
			next.h = hookList{old.h, h}
		}
		if s.hooks.CompareAndSwap(old, next) {
			return
		}
	}
}

// hookList tells several hooks of each change.
type hookList []Hooks

func (l hookList) HostnameChanged(ctx context.Context, zoneID, hostnameID, reason string) {
	for _, h := range l {
		h.HostnameChanged(ctx, zoneID, hostnameID, reason)
	}
}
