import { useEffect, useState } from "react";

/** The dashboard's pages, one per kind of user. */
export const ROUTES = ["credits", "api", "contributor", "auditor"] as const;
export type Route = (typeof ROUTES)[number];

const current = (): Route => {
  const name = window.location.hash.replace(/^#\/?/, "").split(/[/?]/)[0];
  return (ROUTES as readonly string[]).includes(name ?? "") ? (name as Route) : "credits";
};

/** The page named by the URL's hash (`#/api`), so any page can be linked and reloaded without server routes. */
export function useHashRoute(): Route {
  const [route, setRoute] = useState<Route>(current);
  useEffect(() => {
    const onChange = () => setRoute(current());
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return route;
}
