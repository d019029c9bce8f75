package main

import "testing"

// TestLoadConfig_ResourceLimits: the hashing budget and connection caps
// have documented defaults and refuse values that make no sense.
func TestLoadConfig_ResourceLimits(t *testing.T) {
	cfg, err := loadConfig(env())
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConns != 4096 || cfg.MaxConnsPerAddr != 256 || cfg.HashMemoryMiB != 0 {
		t.Errorf("defaults: got %d connections, %d per address, hash memory %d; want 4096, 256, 0 (the identity default)",
			cfg.MaxConns, cfg.MaxConnsPerAddr, cfg.HashMemoryMiB)
	}
	cfg, err = loadConfig(env("CAMAUG_MAX_CONNS", "1000", "CAMAUG_MAX_CONNS_PER_ADDR", "500", "CAMAUG_HASH_MEMORY_MIB", "64"))
	if err != nil || cfg.MaxConns != 1000 || cfg.MaxConnsPerAddr != 500 || cfg.HashMemoryMiB != 64 {
		t.Errorf("set: got %d, %d, %d (%v); want 1000, 500, 64", cfg.MaxConns, cfg.MaxConnsPerAddr, cfg.HashMemoryMiB, err)
	}
	for _, kv := range [][2]string{
		{"CAMAUG_MAX_CONNS", "0"}, {"CAMAUG_MAX_CONNS_PER_ADDR", "many"}, {"CAMAUG_HASH_MEMORY_MIB", "10"}, {"CAMAUG_HASH_MEMORY_MIB", "-1"},
	} {
		if _, err := loadConfig(env(kv[0], kv[1])); err == nil {
			t.Errorf("%s=%s was accepted", kv[0], kv[1])
		}
	}
}
