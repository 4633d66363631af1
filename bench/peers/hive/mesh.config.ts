// The peer's supergraph: GraphQL Mesh composes the four services' OpenAPI documents (written
// by bench/peer.py from the running services' /openapi.json into PEER_WORK_DIR, their batch
// parameters declared as comma-separated arrays) and joins them through the services' batch
// endpoints: one call for a whole list of parents, regrouped per parent (keyField / keysArg /
// valueKeyField), never one call per item.
import { createPrefixTransform, defineConfig } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';

const dir = process.env.PEER_WORK_DIR ?? '.';

function endpoint(service: string): string {
  const url = process.env[`PEER_${service.toUpperCase()}_URL`];
  if (!url) throw new Error(`PEER_${service.toUpperCase()}_URL is not set`);
  return url;
}

// Types and root fields of the four services collide (TransferPublic, list_transfers, Stage,
// …): each service's types are prefixed with its subgraph name, its root fields with its own.
const subgraph = (name: string, service: string) => ({
  sourceHandler: loadOpenAPISubgraph(name, {
    source: `${dir}/${service}-openapi.json`,
    endpoint: endpoint(service),
    ignoreErrorResponses: true,
  }),
  transforms: [
    createPrefixTransform({ value: `${name}_`, includeTypes: true }),
    createPrefixTransform({ value: `${service}_`, includeTypes: false, includeRootOperations: true }),
  ],
});

export const composeConfig = defineConfig({
  output: `${dir}/supergraph.graphql`,
  subgraphs: [
    subgraph('Org', 'org'),
    subgraph('Member', 'member'),
    subgraph('Funding', 'funding'),
    subgraph('Rating', 'rating'),
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type Org_OrganizationPublic {
      member_counts(as_of: Date): Member_MemberCount
        @resolveTo(sourceName: "Member", sourceTypeName: "Query", sourceFieldName: "member_count_members",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "organization_ids",
          valueKeyField: "organization_id", result: "items",
          additionalArgs: { as_of: "{args.as_of}" })
      secretary_terms(from: Date, to: Date, limit: Int = 200): [Member_TermPublic!]!
        @resolveTo(sourceName: "Member", sourceTypeName: "Query", sourceFieldName: "member_list_secretary_terms",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "organization_ids",
          valueKeyField: "organization_id", result: "items",
          additionalArgs: { from: "{args.from}", to: "{args.to}", limit: "{args.limit}" })
      star_level: Rating_StarLevelPublic
        @resolveTo(sourceName: "Rating", sourceTypeName: "Query", sourceFieldName: "rating_list_star_levels",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "ids",
          valueKeyField: "subject_id", result: "items",
          additionalArgs: { subject_kind: "organization", limit: 200 })
      accounts: [Funding_AccountPublic!]!
        @resolveTo(sourceName: "Funding", sourceTypeName: "Query", sourceFieldName: "funding_list_accounts",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "organization_ids",
          valueKeyField: "organization_id", result: "items",
          additionalArgs: { limit: 200 })
      members(first: PositiveInt = 50): Member_OrganizationMembers
        @resolveTo(sourceName: "Member", sourceTypeName: "Query", sourceFieldName: "member_list_organization_members",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "organization_ids",
          valueKeyField: "organization_id", result: "items",
          additionalArgs: { limit: "{args.first}" })
    }

    extend type Member_MemberPublic {
      organization: Org_OrganizationPublic
        @resolveTo(sourceName: "Org", sourceTypeName: "Query", sourceFieldName: "org_list_organizations",
          requiredSelectionSet: "{ organization_id }", keyField: "organization_id", keysArg: "ids",
          valueKeyField: "id", result: "items",
          additionalArgs: { limit: 200 })
      star_level: Rating_StarLevelPublic
        @resolveTo(sourceName: "Rating", sourceTypeName: "Query", sourceFieldName: "rating_list_star_levels",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "ids",
          valueKeyField: "subject_id", result: "items",
          additionalArgs: { subject_kind: "member", limit: 200 })
      posts(held_on: Date): [Member_PostPublic!]!
        @resolveTo(sourceName: "Member", sourceTypeName: "Query", sourceFieldName: "member_list_member_posts",
          requiredSelectionSet: "{ id }", keyField: "id", keysArg: "member_ids",
          valueKeyField: "member_id", result: "items",
          additionalArgs: { held_on: "{args.held_on}", limit: 200 })
    }

    extend type Rating_CampaignPublic {
      evaluable_members(limit: Int = 200): [Rating_EvaluableMember!]!
        @resolveTo(sourceName: "Rating", sourceTypeName: "Query", sourceFieldName: "rating_list_evaluable_members",
          requiredSelectionSet: "{ id }", result: "items",
          sourceArgs: { campaign_id: "{root.id}", limit: "{args.limit}" })
    }

    extend type Rating_EvaluableMember {
      member: Member_MemberPublic
        @resolveTo(sourceName: "Member", sourceTypeName: "Query", sourceFieldName: "member_list_members",
          requiredSelectionSet: "{ member_id }", keyField: "member_id", keysArg: "ids",
          valueKeyField: "id", result: "items",
          additionalArgs: { limit: 200 })
    }
  `,
});
