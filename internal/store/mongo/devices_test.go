package mongo_test

import (
	"testing"

	"camaug/internal/identity"
	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/storetest"
)

func TestDeviceStore(t *testing.T) {
	storetest.RunDevices(t, func(t *testing.T) identity.DeviceStore { return open(t, mongotest.Start(t)).Devices() })
}
