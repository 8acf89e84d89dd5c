import { useContext, type FC } from "hono/jsx";
import { CsrfField, PersonContext } from "./layout";

/** The admin section at the bottom of a customer page: unlink a wrongly linked key, merge another customer in. */
export const IdentityAdmin: FC<{ csrf: string; id: string; identities: { kind: string; value: string }[] }> = ({ csrf, id, identities }) => {
  // Only admins may merge or unlink (the routes check too); other roles see the ids in the summary above.
  if (useContext(PersonContext)?.role !== "admin") return null;
  const base = `/customers/${encodeURIComponent(id)}`;
  return (
    <section aria-labelledby="identity-admin">
      <h2 id="identity-admin">Identity (admin)</h2>
      {identities.length === 0 ? <p class="muted">No linked ids.</p> : (
        <table>
          <thead><tr><th>Kind</th><th>Value</th><th></th></tr></thead>
          <tbody>
            {identities.map((i) => (
              <tr>
                <td>{i.kind}</td>
                <td>{i.value}</td>
                <td>
                  <form method="post" action={`${base}/unlink`} class="inline">
                    <CsrfField csrf={csrf} />
                    <input type="hidden" name="kind" value={i.kind} />
                    <input type="hidden" name="value" value={i.value} />
                    <button type="submit" aria-label={`Unlink ${i.kind} ${i.value}`}>Unlink</button>
                  </form>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form method="post" action={`${base}/merge`}>
        <CsrfField csrf={csrf} />
        <p>
          <label>
            Merge another customer into this one: <input name="from" required maxlength={200} placeholder="cu_…" />
          </label>
        </p>
        <p>
          <label>
            <input type="checkbox" name="confirm" value="yes" required /> Move all of its facts, ids, history, referrals and points here; its id will point to this customer.
          </label>
        </p>
        <button type="submit">Merge</button>
      </form>
    </section>
  );
};
