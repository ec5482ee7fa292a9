package config_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/yangtze-delta/settlement/gateway/config"
)

func TestCoalesceSection(t *testing.T) {
	t.Run("absent: on, package defaults", func(t *testing.T) {
		cfg, err := config.Parse([]byte(validJSON))
		require.NoError(t, err)
		require.Equal(t, config.Coalesce{}, cfg.Coalesce)
		require.False(t, cfg.Coalesce.Disabled)
	})
	t.Run("given", func(t *testing.T) {
		js := strings.Replace(validJSON, `"stateDir"`, `"coalesce": {"window": "5ms", "maxItems": 50, "maxPending": 500, "maxInFlight": 4, "runs": 3},
  "stateDir"`, 1)
		cfg, err := config.Parse([]byte(js))
		require.NoError(t, err)
		require.Equal(t, config.Coalesce{Window: config.Duration(5 * time.Millisecond), MaxItems: 50, MaxPending: 500, MaxInFlight: 4, Runs: 3}, cfg.Coalesce)
	})
	t.Run("off", func(t *testing.T) {
		js := strings.Replace(validJSON, `"stateDir"`, `"coalesce": {"disabled": true}, "stateDir"`, 1)
		cfg, err := config.Parse([]byte(js))
		require.NoError(t, err)
		require.True(t, cfg.Coalesce.Disabled)
	})
	t.Run("unknown field", func(t *testing.T) {
		js := strings.Replace(validJSON, `"stateDir"`, `"coalesce": {"enabled": false}, "stateDir"`, 1)
		_, err := config.Parse([]byte(js))
		require.ErrorIs(t, err, config.ErrInvalid)
	})
	tests := []struct {
		name  string
		co    config.Coalesce
		field string
	}{
		{"a negative window", config.Coalesce{Window: config.Duration(-time.Millisecond)}, "coalesce.window"},
		{"a window over a second", config.Coalesce{Window: config.Duration(2 * time.Second)}, "coalesce.window"},
		{"batches over the chaincode's limit", config.Coalesce{MaxItems: 501}, "coalesce.maxItems"},
		{"a negative waiting bound", config.Coalesce{MaxPending: -1}, "coalesce.maxPending"},
		{"too many batches in flight", config.Coalesce{MaxInFlight: 1000}, "coalesce.maxInFlight"},
		{"too many runs", config.Coalesce{Runs: 11}, "coalesce.runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := config.Parse([]byte(validJSON))
			require.NoError(t, err)
			cfg.Coalesce = tt.co
			err = cfg.Validate()
			require.True(t, errors.Is(err, config.ErrInvalid), "%v", err)
			require.Contains(t, err.Error(), tt.field+":")
		})
	}
}
