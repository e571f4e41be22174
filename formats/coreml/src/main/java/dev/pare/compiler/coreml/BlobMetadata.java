package dev.pare.compiler.coreml;

/**
 * One blob's 64-byte metadata record in weight.bin.
 *
 * @param metadataOffset where the record starts (the offset a MIL BlobFileValue names)
 * @param dtype          the stored element type
 * @param sizeInBytes    stored data bytes (sub-byte types rounded up to whole bytes)
 * @param dataOffset     absolute file offset of the data
 * @param paddingBits    unused bits in the last byte of sub-byte data (0..7)
 */
public record BlobMetadata(long metadataOffset, BlobDataType dtype, long sizeInBytes, long dataOffset,
                           long paddingBits) {

    /** Where the next blob's metadata may start: the end of this blob's data, rounded up to 64. */
    public long nextMetadataOffset() {
        return BlobFile.align(dataOffset + sizeInBytes);
    }
}
