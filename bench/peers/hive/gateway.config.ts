// Hive Gateway serving the peer's supergraph (bench/peer.py starts it with
// `hive-gateway supergraph <file> --port <port> --fork 1`, NODE_ENV=production).
import { defineConfig, type GatewayPlugin } from '@graphql-hive/gateway';

// The gateway's own count of its calls to the services, per GraphQL request, returned in
// the answer's `extensions.upstream_calls` (our gateway counts its calls too, at /metrics).
const callsByRequest = new WeakMap<object, number>();

function countUpstreamCalls(): GatewayPlugin {
  return {
    onFetch({ context }) {
      const request = (context as { request?: object } | undefined)?.request;
      if (request) callsByRequest.set(request, (callsByRequest.get(request) ?? 0) + 1);
    },
    onExecute({ args }) {
      return {
        onExecuteDone({ result, setResult }) {
          const request = (args.contextValue as { request?: object }).request;
          if (!request || !result || Symbol.asyncIterator in result) return;
          setResult({
            ...result,
            extensions: { ...result.extensions, upstream_calls: callsByRequest.get(request) ?? 0 },
          });
        },
      };
    },
  };
}

export const gatewayConfig = defineConfig({
  // The services verify the client's own JWT: its Authorization header goes to every call.
  propagateHeaders: {
    fromClientToSubgraphs: ({ request }) => ({
      authorization: request.headers.get('authorization') ?? undefined,
    }),
  },
  // As our gateway does: a failed read (a connection the service closed while idle, a 5xx)
  // is tried once more after 50 ms; writes never are.
  upstreamRetry: ({ executionRequest }) =>
    executionRequest.operationType === 'mutation' ? undefined : { maxRetries: 1, retryDelay: 50 },
  plugins: () => [countUpstreamCalls()],
  // Quiet, and nothing sent anywhere: no usage reporting, no tracing, no GraphiQL.
  logging: 'warn',
  graphiql: false,
  landingPage: false,
});
