using Npgsql;

namespace TrialManager.Web.Data.Audit;

/// <summary>
/// Takes UPDATE, DELETE and TRUNCATE on the audit trail away from the application's own database role (named by the
/// setting TrialManager:Database:AppRole), leaving it SELECT and INSERT, through the function created by migration
/// 0006. Run by `migrate` as the owner; the app itself then connects as the restricted role.
/// </summary>
public static class AuditGrants
{
    public const string AppRoleSetting = "TrialManager:Database:AppRole";

    /// <summary>Applies the grants when the setting names a role; returns that role, or null when none is configured.</summary>
    public static async Task<string?> ApplyConfiguredAsync(IConfiguration configuration, string ownerConnectionString, CancellationToken cancellationToken = default)
    {
        var role = configuration[AppRoleSetting];
        if (string.IsNullOrWhiteSpace(role))
        {
            return null;
        }

        await ApplyAsync(ownerConnectionString, role.Trim(), cancellationToken);
        return role.Trim();
    }

    public static async Task ApplyAsync(string ownerConnectionString, string appRole, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ownerConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT audit_trail_protect_from($1::name)", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = appRole });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
