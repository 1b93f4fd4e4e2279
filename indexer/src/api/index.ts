/**
 * HTTP API of the indexer, next to Ponder's own /health, /ready, /status and /metrics:
 * GraphQL at / and /graphql, SQL over HTTP (for @ponder/client) at /sql/*.
 */
import { db } from "ponder:api";
import schema from "ponder:schema";
import { Hono } from "hono";
import { client, graphql } from "ponder";

const app = new Hono();

app.use("/sql/*", client({ db, schema }));
const graphqlHandler = graphql({ db, schema });
app.use("/", graphqlHandler);
app.use("/graphql", graphqlHandler);

export default app;
