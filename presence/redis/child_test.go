package redis_test

const childEnv = "PRESENCE_REDIS_CHILD"

func runChild() int { return 0 }
