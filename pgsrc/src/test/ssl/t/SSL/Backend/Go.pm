
# Copyright (c) 2026, pg-gotls contributors
# Distributed under the PostgreSQL Licence (see pg-gotls's LICENSE).

# pg-gotls: the SSL test suite's library module for Go's crypto/tls.

=pod

=head1 NAME

SSL::Backend::Go - the library-specific parts of SSL::Server for a
PostgreSQL built with --with-ssl=go

=head1 SYNOPSIS

  use SSL::Backend::Go;

  my $backend = SSL::Backend::Go->new();

  $backend->init($pgdata);

=head1 DESCRIPTION

The Go library reads the same PEM and DER files as OpenSSL, so the files
and the server settings are set up exactly as SSL::Backend::OpenSSL does
it; this module inherits all of that.  What differs is the library's name,
which the server reports in ssl_library together with the Go version the
library was built with.

=cut

package SSL::Backend::Go;

use strict;
use warnings FATAL => 'all';
use parent -norequire, 'SSL::Backend::OpenSSL';
use PostgreSQL::Test::Utils;
use SSL::Backend::OpenSSL;

=pod

=head1 METHODS

=over

=item SSL::Backend::Go->new()

Create a new instance of the Go backend.

=cut

sub new
{
	my ($class) = @_;

	my $self = SSL::Backend::OpenSSL->new();
	$self->{_library} = 'Go crypto/tls (' . _library_go_version() . ')';
	bless $self, $class;
	return $self;
}

=pod

=item $backend->library_is_libressl()

The Go library is not LibreSSL.

=cut

sub library_is_libressl
{
	return 0;
}

=pod

=back

=cut

# The Go version that built the installed libpq_gotls.so, as ssl_library
# shows it ("go1.26.8").  Go records it in the binary's build information:
# the magic "\xff Go buildinf:", a 32-byte header, then the version as a
# varint-length-prefixed string.
sub _library_go_version
{
	my $libdir = `pg_config --libdir`;
	chomp $libdir;
	my $file = "$libdir/libpq_gotls.so";
	my $bin = slurp_file($file);
	my $at = index($bin, "\xff Go buildinf:");
	die "no Go build information in $file" if $at < 0;

	my ($pos, $len, $shift) = ($at + 32, 0, 0);
	while (1)
	{
		my $byte = ord(substr($bin, $pos++, 1));
		$len |= ($byte & 0x7f) << $shift;
		last unless $byte & 0x80;
		$shift += 7;
	}
	return substr($bin, $pos, $len);
}

1;
