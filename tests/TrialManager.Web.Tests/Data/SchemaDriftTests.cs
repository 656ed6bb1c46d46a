using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using TrialManager.Web.Data;
using TrialManager.Web.Tests.Infrastructure;

namespace TrialManager.Web.Tests.Data;

/// <summary>
/// The hand-written SQL migrations must build exactly the schema the EF model describes. One database is built by
/// <see cref="DatabaseMigrator"/>, one by EnsureCreated from the model; their catalogs must match. This fails when
/// the model changes without a migration, or a migration without the model.
/// </summary>
public class SchemaDriftTests
{
    [Fact]
    public async Task The_migrations_build_exactly_the_schema_the_model_describes()
    {
        var migrated = await SchemaSnapshot.ReadAsync(await MigratedDatabaseAsync());
        var model = await SchemaSnapshot.ReadAsync(await ModelDatabaseAsync());

        Assert.Contains("table AspNetUsers", migrated.Items.Keys);
        Assert.Contains(migrated.Items.Keys, k => k.StartsWith("index ", StringComparison.Ordinal));
        Assert.Contains(migrated.Items.Keys, k => k.StartsWith("constraint ", StringComparison.Ordinal));
        var differences = migrated.DifferencesFrom(model, "the migrations", "the model");
        Assert.True(differences.Count == 0,
            "The migrations and the EF model disagree. Write a new migration in src/TrialManager.Web/Data/Migrations " +
            "(see its README; 'schema-script' prints what the model expects):" + Environment.NewLine + string.Join(Environment.NewLine, differences));
    }

    [Fact]
    public async Task The_comparison_sees_an_added_column_a_changed_length_a_dropped_index_and_a_changed_default()
    {
        var server = await PostgresServer.GetAsync();
        var drifted = await MigratedDatabaseAsync();
        await server.ExecuteAsync("""
            ALTER TABLE "Sites" ADD COLUMN "Extra" text;
            ALTER TABLE "Trials" ALTER COLUMN "Title" TYPE character varying(401);
            DROP INDEX "IX_Sites_Code";
            ALTER TABLE "AspNetUsers" ALTER COLUMN "IsDisabled" SET DEFAULT false;
            """, new Npgsql.NpgsqlConnectionStringBuilder(drifted).Database!);

        var differences = (await SchemaSnapshot.ReadAsync(drifted)).DifferencesFrom(await SchemaSnapshot.ReadAsync(await ModelDatabaseAsync()), "migrated", "model");

        Assert.Contains(differences, d => d.StartsWith("- column Sites.Extra: only in migrated: text NULL", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("~ column Trials.Title:", StringComparison.Ordinal) && d.Contains("character varying(401)", StringComparison.Ordinal) && d.Contains("character varying(400)", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("+ index Sites.IX_Sites_Code: only in model: CREATE UNIQUE INDEX", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("~ column AspNetUsers.IsDisabled:", StringComparison.Ordinal) && d.Contains("DEFAULT false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Objects_only_migrations_create_and_the_migrations_table_are_not_drift()
    {
        var server = await PostgresServer.GetAsync();
        var migrated = await MigratedDatabaseAsync();
        await server.ExecuteAsync("""
            CREATE FUNCTION tm_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'no'; END $$;
            CREATE TRIGGER tm_test_no_delete BEFORE DELETE ON "Sites" FOR EACH ROW EXECUTE FUNCTION tm_test_refuse();
            """, new Npgsql.NpgsqlConnectionStringBuilder(migrated).Database!);

        var snapshot = await SchemaSnapshot.ReadAsync(migrated);

        Assert.DoesNotContain(snapshot.Items.Keys, k => k.Contains(SchemaSnapshot.MigrationsTable, StringComparison.Ordinal) || k.Contains("tm_test", StringComparison.Ordinal));
        Assert.Empty(snapshot.DifferencesFrom(await SchemaSnapshot.ReadAsync(await ModelDatabaseAsync()), "migrated", "model"));
    }

    /// <summary>A fresh database with every migration applied by the migrator.</summary>
    private static async Task<string> MigratedDatabaseAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("tm_drift_migrated");
        await new DatabaseMigrator(NullLogger<DatabaseMigrator>.Instance).MigrateAsync(connectionString);
        return connectionString;
    }

    /// <summary>A fresh database built from the EF model alone.</summary>
    private static async Task<string> ModelDatabaseAsync()
    {
        var server = await PostgresServer.GetAsync();
        var connectionString = await server.CreateEmptyDatabaseAsync("tm_drift_model");
        await using var db = new TrialDbContext(new DbContextOptionsBuilder<TrialDbContext>().UseNpgsql(connectionString).Options);
        Assert.True(await db.Database.EnsureCreatedAsync(), "EnsureCreated found tables in a new, empty database.");
        return connectionString;
    }
}
