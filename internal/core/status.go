package core

// HostnameStatus is the activation status of a custom hostname (the 16 values
// of Cloudflare's custom hostname object).
type HostnameStatus string

// The hostname statuses. Portico drives pending, active, moved, deleted and
// blocked; the others exist so that every value a client may know is typed
// and so that imported state round-trips.
const (
	HostnameActive             HostnameStatus = "active"
	HostnamePending            HostnameStatus = "pending"
	HostnameActiveRedeploying  HostnameStatus = "active_redeploying"
	HostnameMoved              HostnameStatus = "moved"
	HostnamePendingDeletion    HostnameStatus = "pending_deletion"
	HostnameDeleted            HostnameStatus = "deleted"
	HostnamePendingBlocked     HostnameStatus = "pending_blocked"
	HostnamePendingMigration   HostnameStatus = "pending_migration"
	HostnamePendingProvisioned HostnameStatus = "pending_provisioned"
	HostnameTestPending        HostnameStatus = "test_pending"
	HostnameTestActive         HostnameStatus = "test_active"
	HostnameTestActiveApex     HostnameStatus = "test_active_apex"
	HostnameTestBlocked        HostnameStatus = "test_blocked"
	HostnameTestFailed         HostnameStatus = "test_failed"
	HostnameProvisioned        HostnameStatus = "provisioned"
	HostnameBlocked            HostnameStatus = "blocked"
)

// HostnameStatuses lists every hostname status in the order the seed gives.
var HostnameStatuses = []HostnameStatus{
	HostnameActive, HostnamePending, HostnameActiveRedeploying, HostnameMoved,
	HostnamePendingDeletion, HostnameDeleted, HostnamePendingBlocked,
	HostnamePendingMigration, HostnamePendingProvisioned, HostnameTestPending,
	HostnameTestActive, HostnameTestActiveApex, HostnameTestBlocked,
	HostnameTestFailed, HostnameProvisioned, HostnameBlocked,
}

// SSLStatus is the status of a custom hostname's certificate (the 21 values of
// Cloudflare's ssl.status).
type SSLStatus string

// The certificate statuses. The happy path of a managed certificate is
// initializing -> pending_validation -> pending_issuance -> pending_deployment
// -> active.
const (
	SSLInitializing         SSLStatus = "initializing"
	SSLPendingValidation    SSLStatus = "pending_validation"
	SSLDeleted              SSLStatus = "deleted"
	SSLPendingIssuance      SSLStatus = "pending_issuance"
	SSLPendingDeployment    SSLStatus = "pending_deployment"
	SSLPendingDeletion      SSLStatus = "pending_deletion"
	SSLPendingExpiration    SSLStatus = "pending_expiration"
	SSLExpired              SSLStatus = "expired"
	SSLActive               SSLStatus = "active"
	SSLInitializingTimedOut SSLStatus = "initializing_timed_out"
	SSLValidationTimedOut   SSLStatus = "validation_timed_out"
	SSLIssuanceTimedOut     SSLStatus = "issuance_timed_out"
	SSLDeploymentTimedOut   SSLStatus = "deployment_timed_out"
	SSLDeletionTimedOut     SSLStatus = "deletion_timed_out"
	SSLPendingCleanup       SSLStatus = "pending_cleanup"
	SSLStagingDeployment    SSLStatus = "staging_deployment"
	SSLStagingActive        SSLStatus = "staging_active"
	SSLDeactivating         SSLStatus = "deactivating"
	SSLInactive             SSLStatus = "inactive"
	SSLBackupIssued         SSLStatus = "backup_issued"
	SSLHoldingDeployment    SSLStatus = "holding_deployment"
)

// SSLStatuses lists every certificate status in the order the seed gives.
var SSLStatuses = []SSLStatus{
	SSLInitializing, SSLPendingValidation, SSLDeleted, SSLPendingIssuance,
	SSLPendingDeployment, SSLPendingDeletion, SSLPendingExpiration, SSLExpired,
	SSLActive, SSLInitializingTimedOut, SSLValidationTimedOut,
	SSLIssuanceTimedOut, SSLDeploymentTimedOut, SSLDeletionTimedOut,
	SSLPendingCleanup, SSLStagingDeployment, SSLStagingActive, SSLDeactivating,
	SSLInactive, SSLBackupIssued, SSLHoldingDeployment,
}

// FallbackOriginStatus is the deployment status of a zone's fallback origin.
type FallbackOriginStatus string

// The fallback origin statuses.
const (
	FallbackInitializing       FallbackOriginStatus = "initializing"
	FallbackPendingDeployment  FallbackOriginStatus = "pending_deployment"
	FallbackPendingDeletion    FallbackOriginStatus = "pending_deletion"
	FallbackActive             FallbackOriginStatus = "active"
	FallbackDeploymentTimedOut FallbackOriginStatus = "deployment_timed_out"
	FallbackDeletionTimedOut   FallbackOriginStatus = "deletion_timed_out"
)

// FallbackOriginStatuses lists every fallback origin status.
var FallbackOriginStatuses = []FallbackOriginStatus{
	FallbackInitializing, FallbackPendingDeployment, FallbackPendingDeletion,
	FallbackActive, FallbackDeploymentTimedOut, FallbackDeletionTimedOut,
}

// Valid reports whether s is one of the 16 hostname statuses.
func (s HostnameStatus) Valid() bool { _, ok := hostnameTransitions[s]; return ok }

// Valid reports whether s is one of the 21 certificate statuses.
func (s SSLStatus) Valid() bool { _, ok := sslTransitions[s]; return ok }

// Valid reports whether s is one of the 6 fallback origin statuses.
func (s FallbackOriginStatus) Valid() bool { _, ok := fallbackTransitions[s]; return ok }
