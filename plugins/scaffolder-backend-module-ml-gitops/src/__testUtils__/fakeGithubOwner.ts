import { http, HttpResponse } from 'msw';

/** msw handlers for GitHub's repository creation, settings and branch protection. */
export function fakeGithubOwner(options: {
  owner: string;
  type: 'Organization' | 'User';
  existing?: string[];
}) {
  const api = 'https://api.github.com';
  const repos = new Set(options.existing ?? []);
  const created: Array<Record<string, unknown>> = [];
  const settings: Record<string, Record<string, unknown>> = {};
  const protections: Record<string, any> = {};
  const handlers = [
    http.get(`${api}/repos/${options.owner}/:repo`, ({ params }) =>
      repos.has(String(params.repo))
        ? HttpResponse.json({ name: params.repo, private: true })
        : HttpResponse.json({ message: 'Not Found' }, { status: 404 }),
    ),
    http.get(`${api}/users/${options.owner}`, () =>
      HttpResponse.json({ login: options.owner, type: options.type }),
    ),
    http.post(
      options.type === 'Organization'
        ? `${api}/orgs/${options.owner}/repos`
        : `${api}/user/repos`,
      async ({ request }) => {
        const body = (await request.json()) as { name: string };
        if (repos.has(body.name)) {
          return HttpResponse.json(
            { message: 'Repository creation failed.' },
            { status: 422 },
          );
        }
        repos.add(body.name);
        created.push(body);
        return HttpResponse.json(
          {
            name: body.name,
            html_url: `https://github.com/${options.owner}/${body.name}`,
          },
          { status: 201 },
        );
      },
    ),
    http.patch(
      `${api}/repos/${options.owner}/:repo`,
      async ({ request, params }) => {
        settings[String(params.repo)] = (await request.json()) as Record<
          string,
          unknown
        >;
        return HttpResponse.json({ name: params.repo });
      },
    ),
    http.put(
      `${api}/repos/${options.owner}/:repo/branches/:branch/protection`,
      async ({ request, params }) => {
        protections[String(params.branch)] = await request.json();
        return HttpResponse.json({});
      },
    ),
  ];
  return { handlers, repos, created, settings, protections };
}
