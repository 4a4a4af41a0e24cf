namespace Bms.Hal
{
    /// <summary>
    /// Byte-addressable non-volatile memory (FRAM/EEPROM, or a flash region behind a wear-levelling adapter).
    /// A write interrupted by power loss may leave any prefix of its bytes written: callers protect their
    /// records with CRCs and redundant copies and never trust a record they cannot verify.
    /// </summary>
    public interface INonVolatileStorage
    {
        /// <summary>Capacity in bytes.</summary>
        int Size { get; }

        /// <summary>Reads <paramref name="count"/> bytes at <paramref name="address"/>. false if the memory could not be read.</summary>
        bool Read(int address, byte[] buffer, int offset, int count);

        /// <summary>Writes <paramref name="count"/> bytes at <paramref name="address"/>. false if the write failed or was cut.</summary>
        bool Write(int address, byte[] buffer, int offset, int count);
    }
}
