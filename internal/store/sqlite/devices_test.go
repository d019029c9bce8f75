package sqlite_test

import (
	"testing"

	"camaug/internal/identity"
	"camaug/internal/store/storetest"
)

func TestDeviceStore(t *testing.T) {
	storetest.RunDevices(t, func(t *testing.T) identity.DeviceStore { return open(t).Devices() })
}
