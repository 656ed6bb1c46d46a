using TrialManager.Domain.Access;

namespace TrialManager.Web.Tests.Authorization;

/// <summary>
/// One row of docs/authorization-matrix.md: a route pattern, its methods, allow/deny per audience, and whether a
/// site-scoped role that may use the page gets a 404 when the object in the address belongs to another site.
/// </summary>
public sealed record MatrixRow(int Line, string Route, string Methods, IReadOnlyDictionary<string, bool> Allowed, bool OtherSiteNotFound);

/// <summary>
/// Reads the table in docs/authorization-matrix.md. The table is the one whose header starts with "Route"; its columns
/// are Route, Methods, Anonymous, one per role (by role name), "Other site", then anything else (notes) which is
/// ignored. Audience cells are `allow` or `deny`; "Other site" cells are `404` (the address names a site's object,
/// and a site-scoped role sees only its own sites' objects) or `same` (nothing site-owned in the address); back-quotes
/// around routes are optional.
/// </summary>
public static class AuthorizationMatrix
{
    public const string Anonymous = nameof(Anonymous);
    public const string FileName = "authorization-matrix.md";
    public const string OtherSite = "Other site";

    public static IReadOnlyList<string> Audiences { get; } = [Anonymous, .. TrialRoles.All];

    public static IReadOnlyList<MatrixRow> Load()
    {
        var path = Path.Combine(AppContext.BaseDirectory, FileName);
        if (!File.Exists(path))
        {
            throw new InvalidOperationException($"docs/{FileName} was not copied to the test output ({path}).");
        }

        return Parse(File.ReadAllLines(path));
    }

    public static IReadOnlyList<MatrixRow> Parse(IReadOnlyList<string> lines)
    {
        var headerAt = -1;
        for (var i = 0; i < lines.Count; i++)
        {
            var cells = Cells(lines[i]);
            if (cells.Count > 0 && cells[0].Equals("Route", StringComparison.OrdinalIgnoreCase))
            {
                headerAt = i;
                break;
            }
        }

        if (headerAt < 0)
        {
            throw new InvalidOperationException($"docs/{FileName} has no table whose first column is 'Route'.");
        }

        var header = Cells(lines[headerAt]);
        var methodsColumn = header.FindIndex(c => c.Equals("Methods", StringComparison.OrdinalIgnoreCase));
        if (methodsColumn < 0)
        {
            throw new InvalidOperationException($"docs/{FileName}: the table needs a 'Methods' column.");
        }

        var otherSiteColumn = header.FindIndex(c => c.Equals(OtherSite, StringComparison.OrdinalIgnoreCase));
        if (otherSiteColumn < 0)
        {
            throw new InvalidOperationException($"docs/{FileName}: the table needs an '{OtherSite}' column.");
        }

        var columns = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var audience in Audiences)
        {
            var index = header.FindIndex(c => c.Equals(audience, StringComparison.Ordinal));
            if (index < 0)
            {
                throw new InvalidOperationException($"docs/{FileName}: the table has no column for {audience}. Columns: {string.Join(", ", header)}");
            }

            columns[audience] = index;
        }

        var rows = new List<MatrixRow>();
        for (var i = headerAt + 2; i < lines.Count; i++)
        {
            var cells = Cells(lines[i]);
            if (cells.Count == 0)
            {
                break; // the table ends at the first line that is not a table row
            }

            var route = cells[0].Trim('`');
            var allowed = new Dictionary<string, bool>(StringComparer.Ordinal);
            foreach (var (audience, index) in columns)
            {
                var cell = index < cells.Count ? cells[index].Trim('`').ToLowerInvariant() : "";
                allowed[audience] = cell switch
                {
                    "allow" => true,
                    "deny" => false,
                    _ => throw new InvalidOperationException($"docs/{FileName} line {i + 1}: {route} / {audience} is '{cell}'; write allow or deny."),
                };
            }

            var otherSite = otherSiteColumn < cells.Count ? cells[otherSiteColumn].Trim('`').ToLowerInvariant() : "";
            var otherSiteNotFound = otherSite switch
            {
                "404" => true,
                "same" => false,
                _ => throw new InvalidOperationException($"docs/{FileName} line {i + 1}: {route} / {OtherSite} is '{otherSite}'; write 404 or same."),
            };
            rows.Add(new MatrixRow(i + 1, route, cells[methodsColumn].Trim('`'), allowed, otherSiteNotFound));
        }

        return rows;
    }

    private static List<string> Cells(string line)
    {
        var trimmed = line.Trim();
        if (!trimmed.StartsWith('|'))
        {
            return [];
        }

        return [.. trimmed.Trim('|').Split('|').Select(c => c.Trim())];
    }
}
