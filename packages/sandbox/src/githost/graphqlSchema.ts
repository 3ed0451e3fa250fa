/*
 * Copyright 2026 The ML GitOps Authors
 *
 * Licensed under the Apache License, Version 2.0 (the "License");
 * you may not use this file except in compliance with the License.
 * You may obtain a copy of the License at
 *
 *     http://www.apache.org/licenses/LICENSE-2.0
 *
 * Unless required by applicable law or agreed to in writing, software
 * distributed under the License is distributed on an "AS IS" BASIS,
 * WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
 * See the License for the specific language governing permissions and
 * limitations under the License.
 */

/*
 * The part of GitHub's GraphQL schema (docs.github.com/graphql/reference)
 * the emulators answer, under GitHub's type, field and argument names.
 */

import { buildSchema } from 'graphql';

export const SCHEMA = buildSchema(`
  "A Git object ID."
  scalar GitObjectID
  "An RFC 3986 URI."
  scalar URI
  "An ISO-8601 encoded UTC date string."
  scalar DateTime
  "An ISO-8601 encoded date string. Unlike the DateTime type, GitTimestamp is not converted in UTC."
  scalar GitTimestamp

  interface GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
  }

  type User {
    login: String!
  }

  type GitActor {
    name: String
    email: String
    date: GitTimestamp
    user: User
  }

  type PageInfo {
    startCursor: String
    endCursor: String
    hasPreviousPage: Boolean!
    hasNextPage: Boolean!
  }

  type CommitEdge {
    cursor: String!
    node: Commit
  }

  type CommitConnection {
    totalCount: Int!
    nodes: [Commit]
    edges: [CommitEdge]
    pageInfo: PageInfo!
  }

  type Commit implements GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    message: String!
    committedDate: DateTime!
    authoredDate: DateTime!
    author: GitActor
    parents(first: Int, after: String, last: Int, before: String): CommitConnection!
  }

  type Blob implements GitObject {
    oid: GitObjectID!
    abbreviatedOid: String!
    commitUrl: URI!
    text: String
    isBinary: Boolean
    byteSize: Int!
    isTruncated: Boolean!
  }

  type Ref {
    name: String!
    prefix: String!
    target: GitObject
  }

  type Repository {
    name: String!
    nameWithOwner: String!
    url: URI!
    defaultBranchRef: Ref
    ref(qualifiedName: String!): Ref
    object(oid: GitObjectID, expression: String): GitObject
  }

  type RateLimit {
    cost: Int!
    limit: Int!
    remaining: Int!
    used: Int!
    resetAt: DateTime!
    nodeCount: Int!
  }

  type Query {
    repository(owner: String!, name: String!, followRenames: Boolean = true): Repository
    rateLimit(dryRun: Boolean = false): RateLimit
  }
`);
