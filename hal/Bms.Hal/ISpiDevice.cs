namespace Bms.Hal
{
    /// <summary>
    /// One device (or one isoSPI daisy chain behind an LTC6820) on an SPI bus. Each call asserts chip
    /// select, clocks <c>count</c> bytes out while clocking the same number in, and releases chip select.
    /// Buffers are caller-owned; nothing is allocated per transfer.
    /// </summary>
    public interface ISpiDevice
    {
        /// <summary>Full-duplex transfer inside one chip-select frame. <paramref name="readBuffer"/> may be null when the answer is not needed.</summary>
        BusStatus TransferFullDuplex(byte[] writeBuffer, int writeOffset, byte[] readBuffer, int readOffset, int count);
    }
}
