package mongo_test

import (
	"testing"

	"camaug/internal/store/mongo/mongotest"
	"camaug/internal/store/storetest"
)

func TestClientConformance(t *testing.T) {
	storetest.RunClients(t, func(t *testing.T) storetest.ClientStore {
		return open(t, mongotest.Start(t)).Clients().(storetest.ClientStore)
	})
}
