namespace TrialManager.E2E.Tests.Infrastructure;

/// <summary>
/// docs/authorization-matrix.md, read as data: which roles may GET each route. The web tests check the app against it
/// route by route; here it tells whether a link the navigation shows leads somewhere the role may go.
/// </summary>
public sealed class AuthorizationMatrix
{
    private readonly Dictionary<string, Dictionary<string, string>> _cells = new(StringComparer.Ordinal);

    private AuthorizationMatrix()
    {
    }

    public static AuthorizationMatrix Load()
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "authorization-matrix.md"));
        var header = lines.Select(Cells).First(c => c.Count > 2 && c[0] == "Route" && c[1] == "Methods");
        var matrix = new AuthorizationMatrix();
        foreach (var cells in lines.Select(Cells).Where(c => c.Count == header.Count && c[0].StartsWith('`')))
        {
            var route = cells[0].Trim('`');
            matrix._cells[route] = header.Zip(cells).Skip(2).ToDictionary(p => p.First, p => p.Second, StringComparer.Ordinal);
        }

        return matrix;
    }

    /// <summary>True when the matrix lets <paramref name="role"/> open the parameterless route <paramref name="path"/>.</summary>
    public bool Allows(string role, string path) =>
        _cells.TryGetValue(path, out var row) ? row.TryGetValue(role, out var cell) && cell == "allow"
            : throw new InvalidOperationException($"{path} has no row in the authorization matrix.");

    private static List<string> Cells(string line) =>
        line.StartsWith('|') ? [.. line.Trim().Trim('|').Split('|').Select(c => c.Trim())] : [];
}
