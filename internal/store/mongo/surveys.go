package mongo

import "go.mongodb.org/mongo-driver/v2/mongo"

// surveyIndexes are the indexes of the survey collections.
func surveyIndexes() map[string][]mongo.IndexModel { return nil }
