package core

import "fmt"

// The transition tables say which status changes are legal. A status change
// anywhere in Portico goes through CanTransition (or Transition, which returns
// a typed error), and stores apply it as a compare-and-swap on the old value.
//
// Why these edges: pending waits for proof and may be proven (active), time out
// (moved), be blocked or deleted. An active hostname whose DNS leaves becomes
// moved and comes back to active when DNS returns. A PATCH ("refresh") puts a
// moved or deleted hostname back to pending, as Cloudflare documents. blocked
// is terminal: only an operator lifts it, by deleting the row.
var hostnameTransitions = map[HostnameStatus][]HostnameStatus{
	HostnamePending:            {HostnameActive, HostnameMoved, HostnameBlocked, HostnamePendingBlocked, HostnamePendingDeletion, HostnameDeleted},
	HostnameActive:             {HostnameActiveRedeploying, HostnameMoved, HostnameBlocked, HostnamePendingDeletion, HostnameDeleted, HostnamePending},
	HostnameActiveRedeploying:  {HostnameActive, HostnameMoved, HostnamePendingDeletion, HostnameDeleted},
	HostnameMoved:              {HostnamePending, HostnameActive, HostnameDeleted, HostnamePendingDeletion, HostnameBlocked},
	HostnamePendingDeletion:    {HostnameDeleted},
	HostnameDeleted:            {HostnamePending},
	HostnamePendingBlocked:     {HostnameBlocked, HostnamePending},
	HostnamePendingMigration:   {HostnameActive, HostnamePending, HostnameMoved, HostnameDeleted},
	HostnamePendingProvisioned: {HostnameProvisioned, HostnamePending, HostnameDeleted},
	HostnameProvisioned:        {HostnameActive, HostnamePending, HostnameMoved, HostnameDeleted},
	HostnameTestPending:        {HostnameTestActive, HostnameTestActiveApex, HostnameTestFailed, HostnameTestBlocked, HostnamePending},
	HostnameTestActive:         {HostnameActive, HostnamePending, HostnameTestFailed},
	HostnameTestActiveApex:     {HostnameActive, HostnamePending, HostnameTestFailed},
	HostnameTestFailed:         {HostnameTestPending, HostnamePending, HostnameDeleted},
	HostnameTestBlocked:        {HostnameBlocked, HostnameTestPending},
	HostnameBlocked:            {},
}

// restartable certificate states: a changed ssl object (or a same-value PATCH,
// which means "validate again now") sends the certificate back to initializing
// from any state that is not being torn down.
var sslRestart = []SSLStatus{SSLInitializing, SSLPendingDeletion, SSLDeleted}

var sslTransitions = map[SSLStatus][]SSLStatus{
	SSLInitializing:         {SSLPendingValidation, SSLPendingIssuance, SSLPendingDeployment, SSLActive, SSLInitializingTimedOut, SSLPendingDeletion, SSLDeleted},
	SSLPendingValidation:    {SSLPendingIssuance, SSLValidationTimedOut, SSLInitializing, SSLPendingDeletion, SSLDeleted},
	SSLPendingIssuance:      {SSLPendingDeployment, SSLActive, SSLIssuanceTimedOut, SSLPendingValidation, SSLInitializing, SSLPendingDeletion, SSLDeleted},
	SSLPendingDeployment:    {SSLActive, SSLDeploymentTimedOut, SSLStagingDeployment, SSLHoldingDeployment, SSLInitializing, SSLPendingDeletion, SSLDeleted},
	SSLActive:               {SSLPendingDeployment, SSLPendingIssuance, SSLPendingValidation, SSLPendingExpiration, SSLExpired, SSLDeactivating, SSLBackupIssued, SSLInitializing, SSLPendingDeletion, SSLDeleted},
	SSLPendingExpiration:    {SSLActive, SSLExpired, SSLPendingDeployment, SSLPendingIssuance, SSLPendingValidation, SSLInitializing, SSLPendingDeletion, SSLDeleted},
	SSLExpired:              {SSLInitializing, SSLPendingValidation, SSLPendingIssuance, SSLActive, SSLPendingDeletion, SSLDeleted},
	SSLInitializingTimedOut: sslRestart,
	SSLValidationTimedOut:   append([]SSLStatus{SSLPendingValidation}, sslRestart...),
	SSLIssuanceTimedOut:     append([]SSLStatus{SSLPendingIssuance}, sslRestart...),
	SSLDeploymentTimedOut:   append([]SSLStatus{SSLPendingDeployment}, sslRestart...),
	SSLDeletionTimedOut:     {SSLPendingDeletion, SSLDeleted},
	SSLPendingDeletion:      {SSLDeleted, SSLDeletionTimedOut},
	SSLPendingCleanup:       {SSLDeleted, SSLInactive},
	SSLStagingDeployment:    {SSLStagingActive, SSLDeploymentTimedOut, SSLPendingDeletion, SSLDeleted},
	SSLStagingActive:        {SSLActive, SSLPendingDeployment, SSLPendingDeletion, SSLDeleted},
	SSLDeactivating:         {SSLInactive, SSLPendingCleanup},
	SSLInactive:             {SSLInitializing, SSLPendingDeletion, SSLDeleted},
	SSLBackupIssued:         {SSLActive, SSLPendingDeployment, SSLPendingDeletion, SSLDeleted},
	SSLHoldingDeployment:    {SSLPendingDeployment, SSLActive, SSLPendingDeletion, SSLDeleted},
	SSLDeleted:              {SSLInitializing},
}

var fallbackTransitions = map[FallbackOriginStatus][]FallbackOriginStatus{
	FallbackInitializing:       {FallbackPendingDeployment, FallbackActive, FallbackDeploymentTimedOut, FallbackPendingDeletion},
	FallbackPendingDeployment:  {FallbackActive, FallbackDeploymentTimedOut, FallbackPendingDeletion},
	FallbackActive:             {FallbackPendingDeployment, FallbackPendingDeletion},
	FallbackDeploymentTimedOut: {FallbackPendingDeployment, FallbackInitializing, FallbackPendingDeletion},
	FallbackPendingDeletion:    {FallbackDeletionTimedOut, FallbackInitializing},
	FallbackDeletionTimedOut:   {FallbackPendingDeletion, FallbackInitializing},
}

func contains[T comparable](list []T, v T) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// CanTransition reports whether a hostname may move from s to next.
func (s HostnameStatus) CanTransition(next HostnameStatus) bool {
	return contains(hostnameTransitions[s], next)
}

// CanTransition reports whether a certificate may move from s to next.
func (s SSLStatus) CanTransition(next SSLStatus) bool {
	return contains(sslTransitions[s], next)
}

// CanTransition reports whether a fallback origin may move from s to next.
func (s FallbackOriginStatus) CanTransition(next FallbackOriginStatus) bool {
	return contains(fallbackTransitions[s], next)
}

// TransitionError reports an illegal status change. Callers that branch on it
// use errors.As.
type TransitionError struct {
	Kind     string // "hostname", "ssl" or "fallback_origin"
	From, To string
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("illegal %s status change from %q to %q", e.Kind, e.From, e.To)
}

// CheckHostnameTransition returns a *TransitionError when from -> to is illegal.
func CheckHostnameTransition(from, to HostnameStatus) error {
	if !from.CanTransition(to) {
		return &TransitionError{Kind: "hostname", From: string(from), To: string(to)}
	}
	return nil
}

// CheckSSLTransition returns a *TransitionError when from -> to is illegal.
func CheckSSLTransition(from, to SSLStatus) error {
	if !from.CanTransition(to) {
		return &TransitionError{Kind: "ssl", From: string(from), To: string(to)}
	}
	return nil
}
