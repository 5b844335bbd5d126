package daemon

import (
	"fmt"
	"path/filepath"

	"github.com/porticohq/portico/internal/config"
	"github.com/porticohq/portico/internal/secrets"
)

// LoadSecrets returns the box that seals private keys, from the master key in
// PORTICO_MASTER_KEY / --master-key, else --master-key-file, else master.key in
// the data directory (created on first run). Every command that may write a
// key uses the same rule, so `serve` and the CLI agree.
func LoadSecrets(st config.Store, s config.Secrets) (*secrets.Box, error) {
	var key []byte
	var err error
	switch {
	case s.MasterKey != "":
		key, err = secrets.DecodeMasterKey(s.MasterKey)
		if err != nil {
			return nil, fmt.Errorf("master key from PORTICO_MASTER_KEY/--master-key: %w", err)
		}
	default:
		path := s.MasterKeyFile
		if path == "" {
			path = filepath.Join(st.DataDir(), "master.key")
		}
		key, err = secrets.LoadOrCreateMasterKey(path)
		if err != nil {
			return nil, fmt.Errorf("master key file %s: %w", path, err)
		}
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return box, nil
}
