import { WalletMenu } from "./components/WalletMenu";
import { useRuntimeConfig } from "./config/RuntimeConfigContext";
import { type Route, useHashRoute } from "./hooks/useHashRoute";
import { ApiPage } from "./pages/ApiPage";
import { AuditorPage } from "./pages/AuditorPage";
import { ContributorPage } from "./pages/ContributorPage";
import { CreditsPage } from "./pages/CreditsPage";

const PAGES: Record<Route, { title: string; page: () => React.JSX.Element }> = {
  credits: { title: "Credits", page: CreditsPage },
  api: { title: "API", page: ApiPage },
  contributor: { title: "Contributor", page: ContributorPage },
  auditor: { title: "Auditor", page: AuditorPage },
};

/** The dashboard: a header with the pages and the wallet, and the page the URL names. */
export function App() {
  const route = useHashRoute();
  const { chain } = useRuntimeConfig();
  const Page = PAGES[route].page;
  return (
    <>
      <header className="top">
        <div className="brand">
          Basis <span className="chain-badge">{chain.name}</span>
        </div>
        <nav>
          {Object.entries(PAGES).map(([name, p]) => (
            <a
              key={name}
              href={`#/${name}`}
              className={name === route ? "active" : undefined}
              data-testid={`nav-${name}`}
            >
              {p.title}
            </a>
          ))}
        </nav>
        <WalletMenu />
      </header>
      <main>
        <Page />
      </main>
    </>
  );
}
