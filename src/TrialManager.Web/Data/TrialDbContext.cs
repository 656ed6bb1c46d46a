using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace TrialManager.Web.Data;

public sealed class TrialDbContext(DbContextOptions<TrialDbContext> options) : IdentityDbContext<ApplicationUser>(options)
{
    public DbSet<Site> Sites => Set<Site>();

    public DbSet<SiteMembership> SiteMemberships => Set<SiteMembership>();

    public DbSet<Trial> Trials => Set<Trial>();

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
            site.Property(s => s.Code).HasMaxLength(16).IsRequired();
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
    }
}
