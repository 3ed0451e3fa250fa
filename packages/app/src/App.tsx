import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import mlGitopsPlugin from '@ml-gitops/plugin-ml-gitops/alpha';
import { navModule } from './modules/nav';

// Features in packages/app/package.json are discovered (`app.packages: all`);
// the catalog is listed here so its landing-page override applies first, and
// ML GitOps so the app also has it where discovery does not run (tests).
export default createApp({
  features: [catalogPlugin, mlGitopsPlugin, navModule],
});
