using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace TrialManager.Web.Data;

public sealed class TrialDbContext(DbContextOptions<TrialDbContext> options) : IdentityDbContext<ApplicationUser>(options)
{
    public DbSet<Site> Sites => Set<Site>();

    public DbSet<SiteMembership> SiteMemberships => Set<SiteMembership>();

    public DbSet<Trial> Trials => Set<Trial>();

    public DbSet<ProtocolVersion> ProtocolVersions => Set<ProtocolVersion>();

    public DbSet<TrialSite> TrialSites => Set<TrialSite>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);

        builder.Entity<ApplicationUser>(user =>
        {
            user.Property(u => u.DisplayName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<Site>(site =>
        {
            site.ToTable("Sites");
            site.HasKey(s => s.Id);
            site.Property(s => s.Code).HasMaxLength(40).IsRequired();
            site.HasIndex(s => s.Code).IsUnique();
            site.Property(s => s.Name).HasMaxLength(200).IsRequired();
            site.Property(s => s.Country).HasMaxLength(2).IsRequired();
            site.Property(s => s.TimeZone).HasMaxLength(64).IsRequired();
        });

        builder.Entity<SiteMembership>(membership =>
        {
            membership.ToTable("SiteMemberships");
            membership.HasKey(m => new { m.UserId, m.SiteId });
            membership.HasOne(m => m.User).WithMany(u => u.SiteMemberships).HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
            membership.HasOne(m => m.Site).WithMany(s => s.Members).HasForeignKey(m => m.SiteId).OnDelete(DeleteBehavior.Restrict);
            membership.HasIndex(m => m.SiteId);
        });

        builder.Entity<Trial>(trial =>
        {
            trial.ToTable("Trials");
            trial.HasKey(t => t.Id);
            trial.Property(t => t.Code).HasMaxLength(64).IsRequired();
            trial.HasIndex(t => t.Code).IsUnique();
            trial.Property(t => t.Title).HasMaxLength(400).IsRequired();
        });

        builder.Entity<ProtocolVersion>(version =>
        {
            version.ToTable("ProtocolVersions");
            version.HasKey(v => v.Id);
            version.HasOne(v => v.Trial).WithMany(t => t.ProtocolVersions).HasForeignKey(v => v.TrialId).OnDelete(DeleteBehavior.Restrict);
            // Two imports racing for the same trial cannot both become amendment N, nor store the same content twice.
            version.HasIndex(v => new { v.TrialId, v.Sequence }).IsUnique();
            version.HasIndex(v => new { v.TrialId, v.ContentHash }).IsUnique();
            version.Property(v => v.Version).HasMaxLength(32).IsRequired();
            version.Property(v => v.ContentHash).HasMaxLength(64).IsFixedLength().IsRequired();
            version.Property(v => v.FileName).HasMaxLength(255).IsRequired();
            version.Property(v => v.SourceText).IsRequired();
            version.Property(v => v.ImportedBy).HasMaxLength(450).IsRequired();
            version.Property(v => v.ImportedByName).HasMaxLength(200).IsRequired();
        });

        builder.Entity<TrialSite>(link =>
        {
            link.ToTable("TrialSites");
            link.HasKey(l => new { l.TrialId, l.SiteId });
            link.HasOne(l => l.Trial).WithMany(t => t.Sites).HasForeignKey(l => l.TrialId).OnDelete(DeleteBehavior.Cascade);
            link.HasOne(l => l.Site).WithMany().HasForeignKey(l => l.SiteId).OnDelete(DeleteBehavior.Restrict);
            link.HasIndex(l => l.SiteId);
        });
    }
}
